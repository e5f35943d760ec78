import { describe, expect, it } from 'vitest';
import { type Dispose, Var } from './var.js';

function recorder<T>() {
  const seen: T[] = [];
  return { seen, f: (v: T) => void seen.push(v) };
}

function counted<T>(init: T) {
  let starts = 0;
  let stops = 0;
  let push: ((v: T) => void) | undefined;
  const v = Var.async<T>(init, (update) => {
    starts++;
    push = update;
    return () => {
      stops++;
      push = undefined;
    };
  });
  return {
    v,
    push: (x: T) => push?.(x),
    counts: () => ({ starts, stops }),
  };
}

describe('Var.value', () => {
  it('observe delivers the current value synchronously, then changes, until disposed', () => {
    const v = Var.value(1);
    const r = recorder<number>();
    const d = v.observe(r.f);
    expect(r.seen).toEqual([1]);
    v.update(2);
    v.update(2); // equal: skipped
    v.update(3);
    d();
    v.update(4);
    expect(r.seen).toEqual([1, 2, 3]);
    expect(v.sample()).toBe(4);
  });

  it('dispose is idempotent and only removes its own observer', () => {
    const v = Var.value('a');
    const a = recorder<string>();
    const b = recorder<string>();
    const da = v.observe(a.f);
    v.observe(b.f);
    da();
    da();
    v.update('b');
    expect(a.seen).toEqual(['a']);
    expect(b.seen).toEqual(['a', 'b']);
  });

  it('an update made by an observer reaches every observer, newest last, never out of order', () => {
    const v = Var.value(0);
    const first: number[] = [];
    const second: number[] = [];
    v.observe((x) => {
      first.push(x);
      if (x === 1) v.update(2);
    });
    v.observe((x) => second.push(x));
    v.update(1);
    expect(first).toEqual([0, 1, 2]);
    expect(second).toEqual([0, 2]);
  });
});

describe('Var.async', () => {
  it('starts on the first observer, stops after the last leaves, restarts on re-observe', () => {
    const s = counted(0);
    expect(s.counts()).toEqual({ starts: 0, stops: 0 });
    const a = recorder<number>();
    const d1 = s.v.observe(a.f);
    const d2 = s.v.observe(() => {});
    expect(s.counts()).toEqual({ starts: 1, stops: 0 });
    s.push(5);
    expect(a.seen).toEqual([0, 5]);
    d1();
    expect(s.counts()).toEqual({ starts: 1, stops: 0 });
    d2();
    expect(s.counts()).toEqual({ starts: 1, stops: 1 });
    // keeps the last value between observations (finagle)
    const b = recorder<number>();
    const d3 = s.v.observe(b.f);
    expect(s.counts()).toEqual({ starts: 2, stops: 1 });
    expect(b.seen).toEqual([5]);
    d3();
    expect(s.counts()).toEqual({ starts: 2, stops: 2 });
  });

  it('a value set synchronously in start is the first one observers see', () => {
    const v = Var.async(0, (update) => {
      update(7);
      return () => {};
    });
    const r = recorder<number>();
    v.observe(r.f)();
    expect(r.seen).toEqual([7]);
  });

  it('sample on an unobserved async var starts and stops it', () => {
    const s = counted('x');
    expect(s.v.sample()).toBe('x');
    expect(s.counts()).toEqual({ starts: 1, stops: 1 });
  });

  it('a start that throws leaves no observer behind', () => {
    let calls = 0;
    const v = Var.async(0, () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return () => {};
    });
    expect(() => v.observe(() => {})).toThrow('boom');
    const r = recorder<number>();
    v.observe(r.f);
    expect(calls).toBe(2);
    expect(r.seen).toEqual([0]);
  });
});

describe('Var.map / flatMap / collect', () => {
  it('map shares one upstream subscription among observers', () => {
    const s = counted(1);
    const m = Var.map(s.v, (x) => x * 10);
    const a = recorder<number>();
    const b = recorder<number>();
    const da = m.observe(a.f);
    const db = m.observe(b.f);
    s.push(2);
    expect(a.seen).toEqual([10, 20]);
    expect(b.seen).toEqual([10, 20]);
    expect(s.counts()).toEqual({ starts: 1, stops: 0 });
    da();
    db();
    expect(s.counts()).toEqual({ starts: 1, stops: 1 });
    expect(m.sample()).toBe(20);
  });

  it('flatMap unobserves the old inner var when the outer changes', () => {
    const inner1 = counted('a1');
    const inner2 = counted('b1');
    const outer = Var.value<1 | 2>(1);
    const fm = Var.flatMap(outer, (k) => (k === 1 ? inner1.v : inner2.v));
    const r = recorder<string>();
    const d = fm.observe(r.f);
    expect(inner1.counts()).toEqual({ starts: 1, stops: 0 });
    outer.update(2);
    expect(inner1.counts()).toEqual({ starts: 1, stops: 1 });
    expect(inner2.counts()).toEqual({ starts: 1, stops: 0 });
    inner1.push('a2'); // no longer observed: nothing happens
    inner2.push('b2');
    expect(r.seen).toEqual(['a1', 'b1', 'b2']);
    d();
    expect(inner2.counts()).toEqual({ starts: 1, stops: 1 });
  });

  it('flatMap copes with the outer changing while the inner is subscribing', () => {
    const outer = Var.value(0);
    const fm = Var.flatMap(outer, (n) =>
      Var.async(n, (update) => {
        if (n === 0) outer.update(1);
        update(n * 100);
        return () => {};
      }),
    );
    const r = recorder<number>();
    fm.observe(r.f);
    expect(r.seen.at(-1)).toBe(100);
  });

  it('collect emits all values together and follows each var', () => {
    const a = Var.value(1);
    const b = Var.value(2);
    const c = Var.collect([a, b]);
    const r = recorder<readonly number[]>();
    const d: Dispose = c.observe(r.f);
    b.update(3);
    a.update(0);
    d();
    expect(r.seen).toEqual([
      [1, 2],
      [1, 3],
      [0, 3],
    ]);
    expect(Var.collect([]).sample()).toEqual([]);
  });
});
