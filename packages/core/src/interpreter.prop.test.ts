import { Dentry, Dtab, NameTree, Path } from '@switchyard/dtab';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// testkit depends on core, so core's tests reach its fake by path rather than by package.
import { fakeNamer } from '../../testkit/src/fake-namer.js';
import { Addr } from './addr.js';
import { ADDR_WEIGHT_KEY, createInterpreter } from './interpreter.js';
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
    const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'fake'], namer }] });
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
    // Bound names are equal when their ids are (finagle's Name.Bound equality).
    const ids = (names: readonly BoundName[] | undefined) =>
      names === undefined ? undefined : names.map((n) => Path.show(n.id)).sort();
    const byId = (n: BoundName) => Path.show(n.id);

    fc.assert(
      fc.property(arbTree, (dst) => {
        const dtab = Dtab.of(Dentry.read('/mid=>/#/fake'), Dentry.of(Path.read('/svc'), dst));
        const state = interpreter.bind(dtab, Path.read('/svc')).states.sample();
        expect(state.kind).toBe('ok');
        if (state.kind !== 'ok') return;
        expect(ids(NameTree.eval(state.value, byId))).toEqual(ids(NameTree.eval(substitute(dst), byId)));
        // bound results are simplified
        expect(NameTree.simplify(state.value)).toEqual(state.value);
      }),
      { numRuns: 300 },
    );
  });
});

type BranchState = 'bound' | 'neg' | 'failed' | 'pending';

describe('bindUnion (property)', () => {
  it('a union is its ok branches while any is ok; else its first failure; else pending', () => {
    const arbBranches = fc.array(
      fc.record({
        weight: fc.integer({ min: 1, max: 9 }),
        state: fc.constantFrom<BranchState>('bound', 'neg', 'failed', 'pending'),
      }),
      { minLength: 2, maxLength: 5 },
    );
    fc.assert(
      fc.property(arbBranches, (branches) => {
        const { namer, witness } = fakeNamer();
        branches.forEach((b, i) => {
          const name = `b${i}`;
          if (b.state === 'bound') witness.setAddr(name, Addr.bound([]));
          else if (b.state === 'failed') witness.fail(name, new Error(`failed ${name}`));
          else if (b.state === 'pending') witness.pending(name);
        });
        const interpreter = createInterpreter({ namers: [{ prefix: ['#', 'fake'], namer }] });
        const dst = branches.map((b, i) => `${b.weight} * /#/fake/b${i}`).join(' & ');
        const state = interpreter.bind(Dtab.read(`/svc => ${dst}`), Path.read('/svc')).states.sample();

        const bound = branches.flatMap((b, i) => (b.state === 'bound' ? [`/#/fake/b${i}`] : []));
        const anyOk = branches.some((b) => b.state === 'bound' || b.state === 'neg');
        const firstFailed = branches.findIndex((b) => b.state === 'failed');
        if (anyOk) {
          expect(state.kind).toBe('ok');
          if (state.kind !== 'ok') return;
          const names = NameTree.eval(state.value, (n) => Path.show(n.id));
          expect(names?.map((n) => Path.show(n.id))).toEqual(bound.length === 0 ? undefined : bound);
          // each bound leaf carries its branch's weight, even when it is the only one left
          for (const n of names ?? []) {
            const i = Number(n.id.at(-1)!.slice(1));
            expect(n.addr.sample()).toMatchObject({ meta: { [ADDR_WEIGHT_KEY]: branches[i]!.weight } });
          }
        } else if (firstFailed >= 0) {
          expect(state.kind === 'failed' && state.error.message).toBe(`failed b${firstFailed}`);
        } else {
          expect(state.kind).toBe('pending');
        }
      }),
      { numRuns: 300 },
    );
  });
});
