/**
 * Balancer invariants over random sequences of updates, picks, completions, availability changes
 * and time: a pick comes only from the current set, never from a removed endpoint, and outside
 * panic mode never from an unavailable or zero-weight one; sizes match; close stops everything;
 * sending the same set twice is the same as sending it once.
 * Then weights statistically (sequential traffic) and failure accrual against a model.
 */
import { hasErrorCode } from '@switchyard/core';
import { fakeClock } from '@switchyard/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aperture,
  type BalancerEndpoint,
  type BalancerFactory,
  backoff,
  consecutiveFailures,
  ewma,
  failureAccrual,
  heap,
  type Lease,
  mulberry32,
  p2c,
  p2cPeakEwma,
  roundRobin,
} from './index.js';

const KEYS = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'];

type Op =
  | { readonly t: 'update'; readonly set: readonly { key: string; weight: number }[] }
  | { readonly t: 'pick' }
  | { readonly t: 'done'; readonly i: number; readonly ok: boolean; readonly rttMs: number }
  | { readonly t: 'avail'; readonly key: string; readonly available: boolean }
  | { readonly t: 'advance'; readonly ms: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('update' as const),
    set: fc.uniqueArray(
      fc.record({ key: fc.constantFrom(...KEYS), weight: fc.constantFrom(0, 0.5, 1, 2, 3) }),
      { selector: (e) => e.key, maxLength: KEYS.length },
    ),
  }),
  { arbitrary: fc.constant({ t: 'pick' as const }), weight: 4 },
  fc.record({
    t: fc.constant('done' as const),
    i: fc.nat(),
    ok: fc.boolean(),
    rttMs: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ t: fc.constant('avail' as const), key: fc.constantFrom(...KEYS), available: fc.boolean() }),
  fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
);

const factories: Record<string, (seed: number, clock: ReturnType<typeof fakeClock>) => BalancerFactory> = {
  p2c: (seed) => p2c({ random: mulberry32(seed) }),
  p2cPeakEwma: (seed, clock) => p2cPeakEwma({ random: mulberry32(seed), clock }),
  aperture: (seed, clock) => aperture({ random: mulberry32(seed), clock, minAperture: 1000 }),
  heap: (seed) => heap({ random: mulberry32(seed) }),
  roundRobin: (seed) => roundRobin({ random: mulberry32(seed) }),
};

describe.each(Object.entries(factories))('%s: update/pick invariants', (_name, make) => {
  it('picks only current endpoints; outside panic only available ones with weight when any has it', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(arbOp, { maxLength: 60 }), (seed, ops) => {
        const clock = fakeClock(1_000_000);
        const b = make(seed, clock)<BalancerEndpoint>();
        // The model: the current set, by key, and each member's availability.
        let current = new Map<string, BalancerEndpoint>();
        const available = new Map<string, boolean>();
        const held: Lease<BalancerEndpoint>[] = [];
        for (const op of ops) {
          switch (op.t) {
            case 'update': {
              const next = new Map(op.set.map((e) => [e.key, { ...e }] as const));
              for (const key of current.keys()) if (!next.has(key)) available.delete(key);
              for (const key of next.keys()) if (!current.has(key)) available.set(key, true);
              current = next;
              b.update([...next.values()]);
              break;
            }
            case 'pick': {
              const lease = b.pick();
              if (current.size === 0) {
                expect(lease).toBeUndefined();
                break;
              }
              expect(lease).toBeDefined();
              const key = lease!.endpoint.key;
              expect(current.has(key)).toBe(true);
              const up = [...current.keys()].filter((k) => available.get(k));
              const panic = up.length === 0 || (current.size - up.length) / current.size > 0.5;
              if (!panic) {
                expect(available.get(key)).toBe(true);
                if (up.some((k) => current.get(k)!.weight > 0))
                  expect(current.get(key)!.weight).toBeGreaterThan(0);
              }
              held.push(lease!);
              break;
            }
            case 'done':
              if (held.length > 0)
                held.splice(op.i % held.length, 1)[0]!.done({ ok: op.ok, rttNs: op.rttMs * 1e6 });
              break;
            case 'avail':
              b.setAvailable(op.key, op.available);
              if (current.has(op.key)) available.set(op.key, op.available);
              break;
            case 'advance':
              clock.advance(op.ms);
              break;
          }
          expect(b.size).toBe(current.size);
          expect(b.available).toBe([...available.values()].filter(Boolean).length);
        }
        b.close();
        for (const lease of held) lease.done({ ok: true });
        let closed: unknown;
        try {
          b.pick();
        } catch (err) {
          closed = err;
        }
        expect(hasErrorCode(closed, 'SY_ERR_BALANCER_CLOSED')).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe.each(Object.entries(factories))('%s: update is idempotent', (_name, make) => {
  it('sending the same set twice changes nothing: same picks, sizes and availability as sending it once', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(arbOp, { maxLength: 60 }), (seed, ops) => {
        // Namers re-emit an unchanged set (a resync, a relist): kept endpoints must keep their
        // load, availability and place, or every resync would reshuffle traffic.
        const once = { clock: fakeClock(1_000_000), held: [] as Lease<BalancerEndpoint>[] };
        const twice = { clock: fakeClock(1_000_000), held: [] as Lease<BalancerEndpoint>[] };
        const a = make(seed, once.clock)<BalancerEndpoint>();
        const b = make(seed, twice.clock)<BalancerEndpoint>();
        for (const op of ops) {
          switch (op.t) {
            case 'update':
              a.update(op.set.map((e) => ({ ...e })));
              b.update(op.set.map((e) => ({ ...e })));
              b.update(op.set.map((e) => ({ ...e })));
              break;
            case 'pick': {
              const la = a.pick();
              const lb = b.pick();
              expect(lb?.endpoint.key).toBe(la?.endpoint.key);
              if (la !== undefined && lb !== undefined) {
                once.held.push(la);
                twice.held.push(lb);
              }
              break;
            }
            case 'done':
              if (once.held.length > 0) {
                const i = op.i % once.held.length;
                const outcome = { ok: op.ok, rttNs: op.rttMs * 1e6 };
                once.held.splice(i, 1)[0]!.done(outcome);
                twice.held.splice(i, 1)[0]!.done(outcome);
              }
              break;
            case 'avail':
              a.setAvailable(op.key, op.available);
              b.setAvailable(op.key, op.available);
              break;
            case 'advance':
              once.clock.advance(op.ms);
              twice.clock.advance(op.ms);
              break;
          }
          expect([b.size, b.available]).toEqual([a.size, a.available]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('weights, statistically', () => {
  it.each([
    ['p2c', (seed: number) => p2c({ random: mulberry32(seed) })],
    ['ewma', (seed: number) => ewma({ random: mulberry32(seed), clock: fakeClock() })],
    ['roundRobin', (seed: number) => roundRobin({ random: mulberry32(seed) })],
  ] as const)('%s: with one request at a time, each endpoint gets its share of the weight', (_name, make) => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }),
        (seed, weights) => {
          const b = make(seed)();
          b.update(weights.map((weight, i) => ({ key: `e${i}`, weight })));
          const n = 4000;
          const picks = new Map<string, number>();
          for (let i = 0; i < n; i++) {
            const lease = b.pick()!;
            picks.set(lease.endpoint.key, (picks.get(lease.endpoint.key) ?? 0) + 1);
            lease.done({ ok: true, rttNs: 1e6 });
          }
          const total = weights.reduce((a, w) => a + w, 0);
          weights.forEach((w, i) => {
            // 4000 draws: the standard error of a share is below 0.008, so 0.04 is five of them.
            expect(Math.abs((picks.get(`e${i}`) ?? 0) / n - w / total)).toBeLessThan(0.04);
          });
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('failure accrual (consecutiveFailures) against a model', () => {
  type Step =
    | { readonly t: 'request'; readonly ok: boolean }
    | { readonly t: 'advance'; readonly ms: number };
  const arbStep: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.record({ t: fc.constant('request' as const), ok: fc.boolean() }), weight: 3 },
    fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
  );

  it('marks e0 dead after N straight failures, keeps it out for the window, probes once, revives on success', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(arbStep, { maxLength: 60 }), (failures, steps) => {
        const clock = fakeClock(1_000_000);
        const window = 1000;
        const b = failureAccrual(consecutiveFailures({ failures }), {
          backoff: backoff.constant(window),
          clock,
        })(roundRobin()());
        // Three endpoints: one of them dead is not panic, so the dead one is really skipped.
        b.update(['e0', 'e1', 'e2'].map((key) => ({ key, weight: 1 })));
        let streak = 0;
        let deadUntil: number | undefined;
        const pickE0 = (): Lease<BalancerEndpoint> | undefined => {
          for (let i = 0; i < 12; i++) {
            const lease = b.pick()!;
            if (lease.endpoint.key === 'e0') return lease;
            lease.done({ ok: true });
          }
          return undefined;
        };
        for (const step of steps) {
          if (step.t === 'advance') clock.advance(step.ms);
          else {
            const lease = pickE0();
            if (deadUntil !== undefined && clock.now() < deadUntil) {
              expect(lease).toBeUndefined();
            } else {
              expect(lease).toBeDefined();
              lease!.done({ ok: step.ok });
              if (deadUntil !== undefined) {
                // That was the probe.
                deadUntil = step.ok ? undefined : clock.now() + window;
                streak = 0;
              } else if (step.ok) streak = 0;
              else if (++streak === failures) {
                deadUntil = clock.now() + window;
                streak = 0;
              }
            }
          }
          const expected = deadUntil === undefined ? 'alive' : clock.now() < deadUntil ? 'dead' : 'probing';
          expect(b.endpointState!('e0')).toBe(expected);
          // A probing endpoint is available again: the probe has to be able to reach it.
          expect(b.available).toBe(expected === 'dead' ? 2 : 3);
        }
      }),
      { numRuns: 200 },
    );
  });
});
