import { describe, expect, it } from 'vitest';
import { extractBlocks, parseMarker } from './markdown.js';

describe('extractBlocks', () => {
  it('finds fenced blocks with their line, language and the marker just before them', () => {
    const page = [
      '# Title', // 1
      '<!-- docs-runner: run -->', // 2
      '', // 3
      '```sh', // 4
      'echo hi', // 5
      '```', // 6
      'Some text.', // 7
      '```console', // 8
      '$ true', // 9
      '```', // 10
      '<!-- docs-runner: skip — needs a cluster -->', // 11
      'A paragraph in between cancels the marker.', // 12
      '````yaml', // 13
      'a: 1', // 14
      '```', // 15
      '````', // 16
    ].join('\n');
    expect(extractBlocks(page, 'p.md')).toEqual([
      { file: 'p.md', line: 4, lang: 'sh', body: 'echo hi', marker: { kind: 'run', exit: 0 } },
      { file: 'p.md', line: 8, lang: 'console', body: '$ true', marker: undefined },
      { file: 'p.md', line: 13, lang: 'yaml', body: 'a: 1\n```', marker: undefined },
    ]);
  });

  it('names the place of an unclosed fence and of a marker it does not know', () => {
    expect(() => extractBlocks('x\n```sh\necho', 'p.md')).toThrow('p.md:2: the fenced block is never closed');
    expect(() => extractBlocks('<!-- docs-runner: maybe -->\n', 'p.md')).toThrow(
      /^p\.md:1: docs-runner marker "maybe"/,
    );
  });
});

describe('parseMarker', () => {
  it('reads run, run exit=N, start and skip with a reason', () => {
    expect(parseMarker('run', 'x')).toEqual({ kind: 'run', exit: 0 });
    expect(parseMarker('run exit=78', 'x')).toEqual({ kind: 'run', exit: 78 });
    expect(parseMarker('start', 'x')).toEqual({ kind: 'start' });
    expect(parseMarker('skip — needs Docker', 'x')).toEqual({ kind: 'skip', reason: 'needs Docker' });
    expect(parseMarker('skip: needs Docker', 'x')).toEqual({ kind: 'skip', reason: 'needs Docker' });
  });

  it('refuses a skip without a reason', () => {
    expect(() => parseMarker('skip', 'f.md:3')).toThrow(/^f\.md:3: /);
  });
});
