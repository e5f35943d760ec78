/**
 * The laws finagle's `Activity` keeps, checked over random sequences of states (pending, ok,
 * failed): `map` identity and composition, `flatMap` identities and associativity, observers
 * holding the latest state, `stabilize` keeping the last ok value, `collect`/`join` against a model
 * of their states, and disposal stopping updates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Activity, type ActivityState, type WritableActivity } from './activity.js';

/** Failures are shared instances, so states compare by value. */
const ERRORS = [new Error('e0'), new Error('e1')];

const arbState: fc.Arbitrary<ActivityState<number>> = fc.oneof(
  fc.constant(Activity.pendingState),
  fc.integer({ min: -5, max: 5 }).map((x) => Activity.ok(x)),
  fc.constantFrom(...ERRORS).map((e) => Activity.failed<number>(e)),
);

/** A state for the source (`which: -1`) or for one of three inner activities. */
const arbOps = fc.array(fc.record({ which: fc.integer({ min: -1, max: 2 }), state: arbState }), {
  maxLength: 25,
});

const arbFn = fc.func(fc.integer({ min: -3, max: 3 }));

/** The latest state delivered to an observer of `a`, and how to stop observing. */
function watch<T>(a: Activity<T>): {
  latest(): ActivityState<T> | undefined;
  count(): number;
  dispose(): void;
} {
  const seen: ActivityState<T>[] = [];
  const dispose = a.states.observe((s) => seen.push(s));
  return { latest: () => seen.at(-1), count: () => seen.length, dispose };
}

function run(
  ops: readonly { which: number; state: ActivityState<number> }[],
  source: WritableActivity<number>,
  inner: readonly WritableActivity<number>[],
  check: () => void,
): void {
  check();
  for (const op of ops) {
    (op.which < 0 ? source : inner[op.which]!).update(op.state);
    check();
  }
}

describe('Activity laws', () => {
  it('map(a, x => x) has the states of a; map(map(a, f), g) those of map(a, g ∘ f)', () => {
    fc.assert(
      fc.property(arbState, arbOps, arbFn, arbFn, (init, ops, f, g) => {
        const a = Activity.writable(init);
        const direct = watch(a.activity);
        const identity = watch(Activity.map(a.activity, (x) => x));
        const nested = watch(Activity.map(Activity.map(a.activity, f), g));
        const composed = watch(Activity.map(a.activity, (x) => g(f(x))));
        const unrelated = [0, 1, 2].map(() => Activity.writable<number>());
        run(ops, a, unrelated, () => {
          expect(identity.latest()).toEqual(direct.latest());
          expect(nested.latest()).toEqual(composed.latest());
        });
      }),
    );
  });

  it('flatMap: left identity, right identity and associativity', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 5 }),
        arbState,
        arbOps,
        fc.func(fc.integer({ min: 0, max: 2 })),
        fc.func(fc.integer({ min: 0, max: 2 })),
        arbFn,
        (x, init, ops, pickF, pickG, h) => {
          const source = Activity.writable(init);
          const inner = [0, 1, 2].map((i) => Activity.writable(Activity.ok(i)));
          const f = (v: number) => Activity.map(inner[pickF(v)]!.activity, (y) => y + h(v));
          const g = (v: number) => Activity.map(inner[pickG(v)]!.activity, (y) => y * 2 + v);
          const a = source.activity;
          const left = watch(Activity.flatMap(Activity.flatMap(a, f), g));
          const right = watch(Activity.flatMap(a, (v) => Activity.flatMap(f(v), g)));
          const leftIdentity = watch(Activity.flatMap(Activity.value(x), f));
          const fx = watch(f(x));
          const rightIdentity = watch(Activity.flatMap(a, (v) => Activity.value(v)));
          const direct = watch(a);
          run(ops, source, inner, () => {
            expect(left.latest()).toEqual(right.latest());
            expect(leftIdentity.latest()).toEqual(fx.latest());
            expect(rightIdentity.latest()).toEqual(direct.latest());
          });
        },
      ),
    );
  });

  it('observers hold the latest state; stabilize keeps the last ok value once one was seen', () => {
    fc.assert(
      fc.property(arbState, arbOps, (init, ops) => {
        const source = Activity.writable(init);
        const inner = [0, 1, 2].map(() => Activity.writable<number>());
        const all = Activity.collect([source.activity, ...inner.map((i) => i.activity)]);
        const stable = Activity.stabilize(source.activity);
        const seenAll = watch(all);
        const seenStable = watch(stable);
        let current = init;
        let lastOk = init.kind === 'ok' ? init : undefined;
        const check = () => {
          expect(seenAll.latest()).toEqual(all.states.sample());
          expect(seenStable.latest()).toEqual(lastOk ?? current);
        };
        check();
        for (const op of ops) {
          (op.which < 0 ? source : inner[op.which]!).update(op.state);
          if (op.which < 0) {
            current = op.state;
            if (op.state.kind === 'ok') lastOk = op.state;
          }
          check();
        }
      }),
    );
  });

  it('collect (and join) follow the model: the first failed in order, else pending if any, else every value', () => {
    fc.assert(
      fc.property(fc.array(arbState, { minLength: 4, maxLength: 4 }), arbOps, (init, ops) => {
        const parts = init.map((state) => Activity.writable(state));
        const current = [...init];
        const all = watch(Activity.collect(parts.map((p) => p.activity)));
        const pair = watch(Activity.join(parts[0]!.activity, parts[1]!.activity));
        const model = (states: readonly ActivityState<number>[]): ActivityState<number[]> => {
          const failed = states.find((s) => s.kind === 'failed');
          if (failed !== undefined) return failed;
          if (states.some((s) => s.kind === 'pending')) return Activity.pendingState;
          return Activity.ok(states.map((s) => (s.kind === 'ok' ? s.value : Number.NaN)));
        };
        const check = () => {
          expect(all.latest()).toEqual(model(current));
          expect(pair.latest()).toEqual(model(current.slice(0, 2)));
        };
        check();
        for (const op of ops) {
          const i = op.which + 1;
          parts[i]!.update(op.state);
          current[i] = op.state;
          check();
        }
      }),
    );
  });

  it('a disposed observer hears nothing more', () => {
    fc.assert(
      fc.property(arbOps, fc.nat(25), (ops, at) => {
        const source = Activity.writable<number>();
        const inner = [0, 1, 2].map(() => Activity.writable<number>());
        const watched = watch(Activity.flatMap(source.activity, (v) => inner[Math.abs(v) % 3]!.activity));
        let heard: number | undefined;
        ops.forEach((op, i) => {
          if (i === at) {
            watched.dispose();
            heard = watched.count();
          }
          (op.which < 0 ? source : inner[op.which]!).update(op.state);
        });
        if (heard !== undefined) expect(watched.count()).toBe(heard);
      }),
    );
  });
});
