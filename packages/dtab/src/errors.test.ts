import { describe, expect, it } from 'vitest';
import { Dtab, DtabParseError, NameTree, Path } from './index.js';

function parseError(fn: () => unknown): DtabParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DtabParseError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('DtabParseError', () => {
  it('marks the bad spot like finagle ("error messages" in NameTreeParsersTest)', () => {
    expect(parseError(() => Path.read('/foo^bar')).message).toContain("'/foo[^]bar'");
    expect(parseError(() => Path.read('/foo/bar/')).message).toContain("'/foo/bar/[]'");
  });

  it('carries code, offset, line, column, expected and found', () => {
    const e = parseError(() => Dtab.read('/a => /b;\n/c => /d;\n/e =>> /f'));
    expect(e.code).toBe('SY_ERR_DTAB_PARSE');
    expect(e.offset).toBe(25);
    expect(e.line).toBe(3);
    expect(e.column).toBe(6);
    expect(e.expected).toBe('simple');
    expect(e.found).toBe('>');
    expect(e.message).toBe(
      "simple expected but '>' found at line 3 column 6: '/a => /b;\\n/c => /d;\\n/e =>[>] /f'",
    );
    expect(e.name).toBe('DtabParseError');
    expect(e).toBeInstanceOf(Error);
  });

  it('reports end of input with found undefined', () => {
    const e = parseError(() => NameTree.read('/a &'));
    expect(e.found).toBeUndefined();
    expect(e.expected).toBe('simple');
    expect(e.message).toBe("simple expected but end of input found at line 1 column 5: '/a &[]'");
  });

  it('elides long input around the bad spot', () => {
    const text = `/${'a'.repeat(100)} ^ ${'b'.repeat(100)}`;
    const e = parseError(() => Path.read(text));
    expect(e.message).toMatch(/: '…a{31} \[\^\] b{31}…'$/);
  });

  it('names what may follow a complete value', () => {
    expect(parseError(() => Dtab.read('/a=>/b)')).expected).toBe("';' or end of input");
    expect(parseError(() => NameTree.read('/a )')).expected).toBe("'&', '|' or end of input");
  });

  it('is recognised by brand across copies, like core SwitchyardError', () => {
    const e = parseError(() => Path.read('x'));
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for('switchyard.error')]).toBe(
      'SY_ERR_DTAB_PARSE',
    );
    const foreign = Object.assign(new Error('x'), {});
    Object.defineProperty(foreign, Symbol.for('switchyard.error'), { value: 'SY_ERR_DTAB_PARSE' });
    expect(foreign instanceof DtabParseError).toBe(true);
    expect(new Error('plain') instanceof DtabParseError).toBe(false);
    expect((null as unknown) instanceof DtabParseError).toBe(false);
  });

  it('caps nesting instead of overflowing the stack', () => {
    expect(NameTree.read(`${'('.repeat(1000)}/a${')'.repeat(1000)}`)).toEqual(NameTree.leaf(['a']));
    const e = parseError(() => NameTree.read(`${'('.repeat(100_000)}/a`));
    expect(e.offset).toBe(1000);
    expect(e.expected).toBe("at most 1000 nested '('");
  });

  it('rejects non-string input with a DtabParseError', () => {
    expect(() => Dtab.read(undefined as unknown as string)).toThrow(DtabParseError);
  });
});
