import { describe, expect, it } from 'vitest';
import { matchOutput, parseConsole } from './console.js';

describe('parseConsole', () => {
  it('splits $ commands from the output that follows each', () => {
    expect(parseConsole('$ curl a\nworld\n$ curl b\nearth\n…', 'x')).toEqual([
      { command: 'curl a', expected: ['world'] },
      { command: 'curl b', expected: ['earth', '…'] },
    ]);
  });

  it('refuses output before the first command', () => {
    expect(() => parseConsole('world\n$ curl', 'p.md:4')).toThrow(/^p\.md:4: /);
  });
});

describe('matchOutput', () => {
  it('matches line by line, ignoring trailing spaces and trailing blank lines', () => {
    expect(matchOutput(['world (127.0.0.1)!'], 'world (127.0.0.1)!  \n\n')).toBeUndefined();
  });

  it('reports the first expected line it cannot find', () => {
    expect(matchOutput(['world (127.0.0.1)!'], 'earth (127.0.0.1)!\n')).toBe('world (127.0.0.1)!');
    expect(matchOutput(['a', 'b'], 'a\n')).toBe('b');
  });

  it('wants the whole output: an extra line is a mismatch unless … allows it', () => {
    expect(matchOutput(['a'], 'a\nb\n')).toBeDefined();
    expect(matchOutput(['a', '…'], 'a\nb\nc\n')).toBeUndefined();
  });

  it('lets … stand for any run of lines, including none', () => {
    const expected = ['…', 'x: valid', '…'];
    expect(matchOutput(expected, '> banner\n\nx: valid\n ELIFECYCLE 78\n')).toBeUndefined();
    expect(matchOutput(expected, 'x: valid\n')).toBeUndefined();
    expect(matchOutput(expected, 'x: invalid\n')).toBe('x: valid');
  });

  it('takes an indented … (an elided part of an indented block) as … too', () => {
    expect(matchOutput(['a:', '  …', 'b:'], 'a:\n  x: 1\n  y: 2\nb:\n')).toBeUndefined();
  });
});
