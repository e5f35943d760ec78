/**
 * The laws finagle's `Var` keeps, checked over random update sequences: `map` identity and
 * composition, `flatMap` identities and associativity, observers always holding the latest value
 * (`sample()`), and disposal stopping both deliveries and `async` sources.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Dispose, Var, type WritableVar } from './var.js';

/** What one observer has been told so far. */
interface Seen<T> {
  readonly values: T[];
  readonly dispose: Dispose;
}

function watch<T>(v: Var<T>): Seen<T> {
  const values: T[] = [];
  return { values, dispose: v.observe((x) => values.push(x)) };
}

/** Drops successive repeats: a Var may deliver an unchanged value once or not at all. */
function changes<T>(values: readonly T[]): T[] {
  return values.filter((x, i) => i === 0 || x !== values[i - 1]);
}

/** An update of the source (`which: -1`) or of one of the inner Vars. */
const arbOps = fc.array(
  fc.record({ which: fc.integer({ min: -1, max: 2 }), value: fc.integer({ min: -5, max: 5 }) }),
  {
    maxLength: 30,
  },
);

/** Integer functions with a small range, so that repeats (and deduplication) happen. */
const arbFn = fc.func(fc.integer({ min: -3, max: 3 }));

function apply(
  ops: readonly { which: number; value: number }[],
  source: WritableVar<number>,
  inner: WritableVar<number>[],
  after: () => void,
) {
  for (const op of ops) {
    if (op.which < 0) source.update(op.value);
    else inner[op.which]!.update(op.value);
    after();
  }
}

describe('Var laws', () => {
  it('map(v, x => x) delivers what v delivers', () => {
    fc.assert(
      fc.property(fc.integer(), arbOps, (init, ops) => {
        const v = Var.value(init);
        const direct = watch(v);
        const mapped = watch(Var.map(v, (x) => x));
        apply(ops, v, [Var.value(0), Var.value(0), Var.value(0)], () => {});
        expect(changes(mapped.values)).toEqual(changes(direct.values));
      }),
    );
  });

  it('map(map(v, f), g) delivers what map(v, x => g(f(x))) delivers', () => {
    fc.assert(
      fc.property(fc.integer(), arbOps, arbFn, arbFn, (init, ops, f, g) => {
        const v = Var.value(init);
        const nested = watch(Var.map(Var.map(v, f), g));
        const composed = watch(Var.map(v, (x) => g(f(x))));
        apply(ops, v, [Var.value(0), Var.value(0), Var.value(0)], () => {
          expect(nested.values.at(-1)).toBe(composed.values.at(-1));
        });
        expect(changes(nested.values)).toEqual(changes(composed.values));
      }),
    );
  });

  it('flatMap: left identity, right identity and associativity, after every update', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 5 }),
        arbOps,
        fc.func(fc.integer({ min: 0, max: 2 })),
        fc.func(fc.integer({ min: 0, max: 2 })),
        arbFn,
        (init, ops, pickF, pickG, h) => {
          const v = Var.value(init);
          const inner = [Var.value(0), Var.value(1), Var.value(2)];
          // f and g choose one of the inner Vars by the value, and shift what it holds.
          const f = (x: number): Var<number> => Var.map(inner[pickF(x)]!, (y) => y + h(x));
          const g = (x: number): Var<number> => Var.map(inner[pickG(x)]!, (y) => y * 2 + x);
          const left = watch(Var.flatMap(Var.flatMap(v, f), g));
          const right = watch(Var.flatMap(v, (x) => Var.flatMap(f(x), g)));
          const leftIdentity = watch(Var.flatMap(Var.constant(init), f));
          const direct = watch(f(init));
          const rightIdentity = watch(Var.flatMap(v, (x) => Var.constant(x)));
          const source = watch(v);
          apply(ops, v, inner, () => {
            expect(left.values.at(-1)).toBe(right.values.at(-1));
            expect(leftIdentity.values.at(-1)).toBe(direct.values.at(-1));
            expect(rightIdentity.values.at(-1)).toBe(source.values.at(-1));
          });
          // Only the settled values are compared for associativity: when f's and g's Vars share an
          // inner Var, one update reaches the two sides along different paths, and either side may
          // pass through a transient value first (finagle's Var makes no glitch-freedom promise).
          expect(changes(rightIdentity.values)).toEqual(changes(source.values));
        },
      ),
    );
  });

  it('every observer holds the latest value, which is what sample() returns', () => {
    fc.assert(
      fc.property(fc.integer(), arbOps, arbFn, (init, ops, f) => {
        const v = Var.value(init);
        const inner = [Var.value(0), Var.value(1), Var.value(2)];
        const vars: Var<unknown>[] = [
          v,
          Var.map(v, f),
          Var.flatMap(v, (x) => inner[Math.abs(x) % 3]!),
          Var.collect([v, ...inner]),
        ];
        const seen = vars.map(watch);
        apply(ops, v, inner, () => {
          vars.forEach((w, i) => {
            expect(seen[i]!.values.at(-1)).toEqual(w.sample());
          });
        });
      }),
    );
  });

  it('after dispose an observer hears nothing, and an async source runs only while observed', () => {
    fc.assert(
      fc.property(arbOps, fc.integer({ min: 0, max: 30 }), (ops, disposeAt) => {
        let running = 0;
        let push: (x: number) => void = () => {};
        const source = Var.async(0, (update) => {
          running++;
          push = update;
          return () => {
            running--;
            push = () => {};
          };
        });
        const derived = Var.flatMap(
          Var.map(source, (x) => x * 2),
          (x) => Var.constant(x + 1),
        );
        const a = watch(derived);
        const b = watch(source);
        expect(running).toBe(1);
        let heardBeforeDispose: number | undefined;
        ops.forEach((op, i) => {
          if (i === disposeAt) {
            a.dispose();
            heardBeforeDispose = a.values.length;
          }
          push(op.value);
        });
        if (heardBeforeDispose !== undefined) expect(a.values).toHaveLength(heardBeforeDispose);
        expect(b.values.at(-1)).toBe(ops.at(-1)?.value ?? 0);
        b.dispose();
        a.dispose();
        expect(running).toBe(0);
        push(99);
        expect(b.values.at(-1)).not.toBe(99);
      }),
    );
  });
});
