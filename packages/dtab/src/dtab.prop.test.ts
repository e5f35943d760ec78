import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Relative import: testkit depends on dtab, so dtab cannot declare testkit as a dependency.
import { arbDentry, arbDtab, arbNameTree, arbPath } from '../../testkit/src/arbitraries.js';
import { Dentry, Dtab, NameTree, Path } from './index.js';

const small = { alphabet: ['a', 'b', 'c'] } as const;

describe('Dentry and Dtab text laws', () => {
  it('Dentry: read(show(d)) equals d', () => {
    fc.assert(
      fc.property(arbDentry(), (d) => {
        expect(Dentry.read(Dentry.show(d))).toEqual(d);
      }),
    );
  });

  it('Dtab: read(show(d)) equals d, also with a trailing ;', () => {
    fc.assert(
      fc.property(arbDtab(), (d) => {
        const shown = Dtab.show(d);
        expect(Dtab.read(shown)).toEqual(d);
        if (d.length > 0) expect(Dtab.read(`${shown};`)).toEqual(d);
      }),
    );
  });

  it('Dtab: dentries separated by whitespace and comments read the same', () => {
    fc.assert(
      fc.property(arbDtab(), (d) => {
        const spaced = d.map((e) => `  ${Dentry.show(e)}  # comment ; => /x\n`).join(';\n');
        expect(Dtab.read(spaced)).toEqual(d);
      }),
    );
  });
});

describe('Dtab.lookup laws', () => {
  it('the empty dtab gives neg', () => {
    fc.assert(
      fc.property(arbPath(), (p) => {
        expect(Dtab.lookup(Dtab.empty, p)).toEqual(NameTree.neg);
      }),
    );
  });

  it('a prefix carries the unmatched suffix to every leaf', () => {
    fc.assert(
      fc.property(arbPath(), arbPath(), arbNameTree(), (prefix, suffix, dst) => {
        const dtab = Dtab.of(Dentry.of(Dentry.Prefix.fromPath(prefix), dst));
        expect(Dtab.lookup(dtab, Path.concat(prefix, suffix))).toEqual(
          NameTree.map(dst, (leaf) => Path.concat(leaf, suffix)),
        );
      }),
    );
  });

  it('an appended matching dentry takes precedence: it is the first alternative', () => {
    fc.assert(
      fc.property(arbDtab(small), arbPath(small), fc.nat(4), arbNameTree(small), (dtab, path, n, dst) => {
        const prefix = path.slice(0, Math.min(n, path.length));
        const suffix = path.slice(prefix.length);
        const before = Dtab.lookup(dtab, path);
        const after = Dtab.lookup(Dtab.append(dtab, Dentry.of(Dentry.Prefix.fromPath(prefix), dst)), path);
        const mine = NameTree.map(dst, (leaf) => Path.concat(leaf, suffix));
        if (before.kind === 'neg' && !(dtab.length > 0 && matchesAny(dtab, path)))
          expect(after).toEqual(mine);
        else {
          expect(after.kind).toBe('alt');
          if (after.kind === 'alt') {
            expect(after.trees[0]).toEqual(mine);
            expect(after.trees.length === 2 ? after.trees[1] : NameTree.alt(...after.trees.slice(1))).toEqual(
              before,
            );
          }
        }
      }),
    );
  });

  it('* matches exactly one label', () => {
    fc.assert(
      fc.property(arbPath(small), arbPath(small), fc.nat(4), (pattern, path, star) => {
        // Replace one element of `pattern` with `*`; it matches exactly the paths that agree
        // everywhere else and are long enough.
        const prefix = pattern.map((l, i) => (i === star ? Dentry.Prefix.any : Dentry.Prefix.label(l)));
        const expected =
          path.length >= pattern.length && pattern.every((l, i) => i === star || path[i] === l);
        expect(Dentry.Prefix.matches(prefix, path)).toBe(expected);
        const result = Dtab.lookup(Dtab.of(Dentry.of(prefix, NameTree.leaf(['x']))), path);
        expect(result).toEqual(expected ? NameTree.leaf(['x', ...path.slice(prefix.length)]) : NameTree.neg);
      }),
    );
  });

  it('lookup equals the alt of every match, later first (the indexed path agrees with the scan)', () => {
    fc.assert(
      fc.property(arbDtab({ ...small, minLength: 16, maxLength: 40 }), arbPath(small), (dtab, path) => {
        const expected: NameTree<Path>[] = [];
        for (let i = dtab.length - 1; i >= 0; i--) {
          const { prefix, dst } = dtab[i]!;
          if (Dentry.Prefix.matches(prefix, path)) {
            const suffix = path.slice(prefix.length);
            expected.push(NameTree.map(dst, (leaf) => Path.concat(leaf, suffix)));
          }
        }
        const want =
          expected.length === 0
            ? NameTree.neg
            : expected.length === 1
              ? expected[0]!
              : NameTree.alt(...expected);
        expect(Object.isFrozen(dtab)).toBe(true);
        expect(Dtab.lookup(dtab, path)).toEqual(want);
        expect(Dtab.lookup([...dtab], path)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

function matchesAny(dtab: Dtab, path: Path): boolean {
  return dtab.some((d) => Dentry.Prefix.matches(d.prefix, path));
}
