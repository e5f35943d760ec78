import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Relative import: testkit depends on dtab, so dtab cannot declare testkit as a dependency.
import { arbDtab } from '../../testkit/src/arbitraries.js';
import { Dentry, Dtab, DtabParseError, NameTree, Path } from './index.js';

const readers = [Path.read, Dentry.Prefix.read, Dentry.read, Dtab.read, NameTree.read] as const;

/** Mostly the language's own characters, so random strings get deep into the grammar. */
const arbText = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...'/\\xaF09*.=>;|&()!~$# \n\t\u2003\u00a0é'.split('')),
    maxLength: 60,
  }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

function onlyParseErrors(read: (text: string) => unknown, text: string): void {
  try {
    read(text);
  } catch (e) {
    expect(e).toBeInstanceOf(DtabParseError);
    const err = e as DtabParseError;
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(text.length);
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeGreaterThanOrEqual(1);
    expect(err.found).toBe(
      err.offset < text.length ? String.fromCodePoint(text.codePointAt(err.offset)!) : undefined,
    );
  }
}

// Generous timeouts: these run many or big inputs and assert no time, so a loaded CI machine
// (seen: 13 and 19 s on Node 22 at load 20) must not fail them on vitest's 10 s default.
describe('parsers on arbitrary input', () => {
  it('throw nothing but DtabParseError, with a position inside the input', () => {
    fc.assert(
      fc.property(arbText, (text) => {
        for (const read of readers) onlyParseErrors(read, text);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('throw nothing but DtabParseError on mutations of valid dtabs', () => {
    fc.assert(
      fc.property(arbDtab(), fc.nat(), fc.string({ maxLength: 3 }), (dtab, at, insert) => {
        const text = Dtab.show(dtab);
        const i = text.length === 0 ? 0 : at % text.length;
        onlyParseErrors(Dtab.read, text.slice(0, i) + insert + text.slice(i + 1));
      }),
      { numRuns: 500 },
    );
  });

  it('handle long inputs (not timed): big dtabs, long labels, deep parentheses, long comments', () => {
    const dentries: string[] = [];
    for (let i = 0; i < 20_000; i++)
      dentries.push(`/svc/s${i}/* => 2 * /#/io.l5d.k8s/ns${i}/http & /b | ~ ; # n${i}`);
    const big = Dtab.read(dentries.join('\n'));
    expect(big).toHaveLength(20_000);
    expect(Dtab.read(Dtab.show(big))).toEqual(big);

    const label = 'x'.repeat(500_000);
    expect(Path.read(`/${label}`)[0]).toHaveLength(500_000);
    expect(Path.read(`/${'\\x41'.repeat(100_000)}`)[0]).toBe('A'.repeat(100_000));
    expect(Dtab.read(`#${' '.repeat(500_000)}\n/a=>/b`)).toHaveLength(1);
    expect(NameTree.read(Array.from({ length: 50_000 }, (_, i) => `/l${i}`).join(' | '))).toMatchObject({
      kind: 'alt',
    });
    expect(() => NameTree.read('('.repeat(500_000))).toThrow(DtabParseError);
    expect(() => NameTree.read(`${'('.repeat(999)}/a${')'.repeat(998)}`)).toThrow(DtabParseError);
    expect(() => Dtab.read(`/a=>${'9'.repeat(100_000)}`)).toThrow(DtabParseError);
  }, 60_000);
});
