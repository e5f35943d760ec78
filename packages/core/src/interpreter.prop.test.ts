import { Dentry, Dtab, NameTree, Path } from '@switchyard/dtab';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Addr } from './addr.js';
import { createInterpreter } from './interpreter.js';
import type { BoundName } from './name.js';

/** Leaves: names the namer knows (k0, k1), a name it does not (k2), reached directly or via /mid. */
const arbLeaf = fc.constantFrom(
  '/#/fake/k0',
  '/#/fake/k1',
  '/#/fake/k2',
  '/mid/k0',
  '/mid/k1',
  '/mid/k2',
  '!',
  '~',
  '$',
);

const arbTree: fc.Arbitrary<NameTree<Path>> = fc.letrec<{ tree: NameTree<Path> }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf.map((text) => NameTree.read(text)),
    fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((trees) => NameTree.alt(...trees)),
    fc
      .array(fc.tuple(fc.integer({ min: 1, max: 4 }), tie('tree')), { minLength: 1, maxLength: 3 })
      .map((ws) => NameTree.union(...ws.map(([w, t]) => NameTree.weighted(w, t)))),
  ),
})).tree;

describe('bind (property)', () => {
  it('evaluating the bound tree equals evaluating the dtab destination with each name replaced by what the namer says', () => {
    const { namer, witness } = fakeNamer();
    const known = new Map<string, BoundName>([
      ['k0', witness.setAddr('k0', Addr.pending)],
      ['k1', witness.setAddr('k1', Addr.pending)],
    ]);
    const interpreter = createInterpreter({ namers: [{ prefix: ['fake'], namer }] });
    const substitute = (t: NameTree<Path>): NameTree<BoundName> => {
      switch (t.kind) {
        case 'leaf': {
          const b = known.get(t.value.at(-1)!);
          return b === undefined ? NameTree.neg : NameTree.leaf(b);
        }
        case 'alt':
          return NameTree.alt(...t.trees.map(substitute));
        case 'union':
          return NameTree.union(...t.trees.map((w) => NameTree.weighted(w.weight, substitute(w.tree))));
        default:
          return t;
      }
    };
    const ids = (names: readonly BoundName[] | undefined) =>
      names === undefined ? undefined : names.map((n) => Path.show(n.id)).sort();

    fc.assert(
      fc.property(arbTree, (dst) => {
        const dtab = Dtab.of(Dentry.read('/mid=>/#/fake'), Dentry.of(Path.read('/svc'), dst));
        const state = interpreter.bind(dtab, Path.read('/svc')).states.sample();
        expect(state.kind).toBe('ok');
        if (state.kind !== 'ok') return;
        expect(ids(NameTree.eval(state.value))).toEqual(ids(NameTree.eval(substitute(dst))));
        // bound results are simplified
        expect(NameTree.simplify(state.value)).toEqual(state.value);
      }),
      { numRuns: 300 },
    );
  });
});
