import { hasErrorCode } from '@switchyard/core';
import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../test/sim.js';
import {
  aperture,
  type BalancerEndpoint,
  type BalancerFactory,
  ewma,
  heap,
  type Lease,
  mulberry32,
  p2c,
  p2cPeakEwma,
  roundRobin,
} from './index.js';

const clock = fakeClock();
const factories: Record<string, () => BalancerFactory> = {
  p2c: () => p2c({ random: mulberry32(1) }),
  p2cPeakEwma: () => p2cPeakEwma({ random: mulberry32(2), clock }),
  aperture: () => aperture({ random: mulberry32(3), clock, minAperture: 1000 }),
  heap: () => heap({ random: mulberry32(4) }),
  roundRobin: () => roundRobin({ random: mulberry32(5) }),
};

function count(picks: readonly Lease<BalancerEndpoint>[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of picks) m.set(l.endpoint.key, (m.get(l.endpoint.key) ?? 0) + 1);
  return m;
}

describe.each(Object.entries(factories))('%s: the Balancer contract', (_name, make) => {
  it('returns undefined for an empty set, and again after the set empties', () => {
    const b = make()();
    expect(b.pick()).toBeUndefined();
    expect(b.size).toBe(0);
    b.update(endpoints(2));
    expect(b.pick()).toBeDefined();
    b.update([]);
    expect(b.pick()).toBeUndefined();
    expect(b.available).toBe(0);
  });

  it('picks only endpoints of the current set and uses all of them', () => {
    const b = make()();
    b.update(endpoints(5));
    const leases = Array.from({ length: 200 }, () => b.pick()!);
    const seen = count(leases);
    expect([...seen.keys()].sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    for (const l of leases) l.done({ ok: true });
  });

  it('diffs updates by key: kept endpoints keep their state, leases in flight complete normally', () => {
    const b = make()();
    b.update(endpoints(3));
    const held = Array.from({ length: 30 }, () => b.pick()!);
    // Replace e0 by e3; e1, e2 stay (with a new object for e1).
    b.update([
      { key: 'e1', weight: 1 },
      { key: 'e2', weight: 1 },
      { key: 'e3', weight: 1 },
    ]);
    expect(b.size).toBe(3);
    expect(b.available).toBe(3);
    for (const l of held) l.done({ ok: true, rttNs: 1e6 });
    // e3 is fresh (zero load) and e0 is gone: the next picks never return e0.
    const next = Array.from({ length: 60 }, () => b.pick()!);
    expect(count(next).has('e0')).toBe(false);
    expect(count(next).has('e3')).toBe(true);
    for (const l of next) l.done({ ok: true });
  });

  it('ignores a second done() on the same lease', () => {
    const b = make()();
    b.update(endpoints(1));
    const l = b.pick()!;
    l.done({ ok: true });
    l.done({ ok: false });
    // Had the second done counted, e0 would carry negative load; one endpoint still works.
    expect(b.pick()!.endpoint.key).toBe('e0');
  });

  it('skips unavailable endpoints while most are available', () => {
    const b = make()();
    b.update(endpoints(4));
    b.setAvailable('e1', false);
    expect(b.available).toBe(3);
    const leases = Array.from({ length: 200 }, () => b.pick()!);
    expect(count(leases).has('e1')).toBe(false);
    for (const l of leases) l.done({ ok: true });
    b.setAvailable('e1', true);
    b.setAvailable('unknown', false);
    expect(b.available).toBe(4);
  });

  it('panics (picks anyway) when most or all endpoints are unavailable', () => {
    const b = make()();
    b.update(endpoints(4));
    for (const k of ['e0', 'e1', 'e2', 'e3']) b.setAvailable(k, false);
    const leases = Array.from({ length: 200 }, () => b.pick()!);
    expect(leases.every((l) => l !== undefined)).toBe(true);
    expect(count(leases).size).toBeGreaterThan(1);
    for (const l of leases) l.done({ ok: true });
    b.setAvailable('e3', true);
    // 3 of 4 unavailable > 50%: still panicking, so dead endpoints may be picked.
    const more = Array.from({ length: 200 }, () => b.pick()!);
    expect(count(more).size).toBeGreaterThan(1);
  });

  it('rejects invalid weights and use after close with typed errors', () => {
    const b = make()();
    expect(() => b.update([{ key: 'x', weight: -1 }])).toThrowError(/weight/);
    try {
      b.update([{ key: 'x', weight: Number.NaN }]);
    } catch (err) {
      expect(hasErrorCode(err, 'SY_ERR_BALANCER_INVALID_WEIGHT')).toBe(true);
    }
    b.update(endpoints(2));
    const l = b.pick()!;
    b.close();
    l.done({ ok: true });
    expect(() => b.pick()).toThrowError(expect.objectContaining({ code: 'SY_ERR_BALANCER_CLOSED' }));
    expect(() => b.update([])).toThrowError(expect.objectContaining({ code: 'SY_ERR_BALANCER_CLOSED' }));
  });

  it('honours weights: under concurrency outstanding load follows weight', () => {
    const b = make()();
    b.update([
      { key: 'heavy', weight: 3 },
      { key: 'light', weight: 1 },
    ]);
    const held = Array.from({ length: 400 }, () => b.pick()!);
    const c = count(held);
    const share = (c.get('heavy') ?? 0) / 400;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
  });
});

describe('weights with sequential traffic (no concurrency)', () => {
  it.each([
    ['p2c', () => p2c({ random: mulberry32(11) })],
    ['ewma', () => ewma({ random: mulberry32(12), clock })],
    ['roundRobin', () => roundRobin({ random: mulberry32(13) })],
  ] as const)('%s sends traffic in proportion to weight', (_name, make) => {
    const b = make()();
    b.update([
      { key: 'a', weight: 1 },
      { key: 'b', weight: 2 },
      { key: 'c', weight: 5 },
    ]);
    const n = 8000;
    const c = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const l = b.pick()!;
      c.set(l.endpoint.key, (c.get(l.endpoint.key) ?? 0) + 1);
      l.done({ ok: true, rttNs: 1e6 });
    }
    // p2c compares two weighted draws with equal (zero) load, so the second draw wins: ∝ weight.
    expect((c.get('a') ?? 0) / n).toBeCloseTo(1 / 8, 1);
    expect((c.get('b') ?? 0) / n).toBeCloseTo(2 / 8, 1);
    expect((c.get('c') ?? 0) / n).toBeCloseTo(5 / 8, 1);
  });

  it('a zero-weight endpoint gets no traffic unless every weight is zero', () => {
    const b = p2c({ random: mulberry32(5) })();
    b.update([
      { key: 'a', weight: 0 },
      { key: 'b', weight: 1 },
      { key: 'c', weight: 1 },
    ]);
    for (let i = 0; i < 500; i++) {
      const l = b.pick()!;
      expect(l.endpoint.key).not.toBe('a');
      l.done({ ok: true });
    }
    b.update([{ key: 'a', weight: 0 }]);
    expect(b.pick()!.endpoint.key).toBe('a');
  });
});

describe('heap', () => {
  it('always picks the endpoint with the fewest outstanding requests', () => {
    const b = heap()();
    b.update(endpoints(4));
    const held = [b.pick()!, b.pick()!, b.pick()!, b.pick()!];
    expect(new Set(held.map((l) => l.endpoint.key)).size).toBe(4);
    held[2]!.done({ ok: true });
    // Only the endpoint of the completed lease has load 0 now.
    expect(b.pick()!.endpoint.key).toBe(held[2]!.endpoint.key);
  });
});

describe('roundRobin', () => {
  it('takes endpoints in turn', () => {
    const b = roundRobin()();
    b.update(endpoints(3));
    const keys = Array.from({ length: 6 }, () => {
      const l = b.pick()!;
      l.done({ ok: true });
      return l.endpoint.key;
    });
    expect(keys.slice(0, 3).sort()).toEqual(['e0', 'e1', 'e2']);
    expect(keys.slice(3)).toEqual(keys.slice(0, 3));
  });
});

describe('options', () => {
  it('rejects out-of-range options with SY_ERR_BALANCER_INVALID_OPTION', () => {
    const bad = [
      () => p2c({ maxEffort: 0 }),
      () => p2c({ panicThreshold: 2 }),
      () => p2cPeakEwma({ decayTimeMs: 0 }),
      () => aperture({ lowLoad: 3, highLoad: 2 }),
      () => aperture({ minAperture: 0 }),
    ];
    for (const make of bad) {
      expect(make).toThrowError(expect.objectContaining({ code: 'SY_ERR_BALANCER_INVALID_OPTION' }));
    }
  });
});
