/**
 * Simulations: each balancer's reason to exist, asserted with numbers on a fake clock.
 */
import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { endpoints, simulate } from '../test/sim.js';
import {
  aperture,
  apertureState,
  type BalancerEndpoint,
  type Lease,
  mulberry32,
  p2c,
  p2cPeakEwma,
} from './index.js';

describe('p2c (Mitzenmacher): bounded imbalance with uniform endpoints', () => {
  it('holding 1000 leases over 100 endpoints, max and min outstanding stay within 3 of the mean', () => {
    const b = p2c({ random: mulberry32(42) })();
    b.update(endpoints(100));
    const held: Lease<BalancerEndpoint>[] = [];
    for (let i = 0; i < 1000; i++) held.push(b.pick()!);
    const load = new Map<string, number>();
    for (const l of held) load.set(l.endpoint.key, (load.get(l.endpoint.key) ?? 0) + 1);
    const values = [...Array(100).keys()].map((i) => load.get(`e${i}`) ?? 0);
    // Balls into bins: one random choice gives a max near 10 + 3·√10 ≈ 19; two choices, ≈ 10 + ln ln n.
    expect(Math.max(...values)).toBeLessThanOrEqual(13);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(7);
  });

  it('under steady traffic, per-endpoint request counts stay within ±10% of the mean', () => {
    const clock = fakeClock();
    const b = p2c({ random: mulberry32(7) })();
    b.update(endpoints(20));
    const rnd = mulberry32(8);
    const r = simulate({
      balancer: b,
      clock,
      intervalMs: 1,
      durationMs: 20_000,
      latencyMs: () => 5 + rnd() * 30,
    });
    const mean = r.requests / 20;
    for (const n of r.perKey.values()) {
      expect(n).toBeGreaterThan(mean * 0.9);
      expect(n).toBeLessThan(mean * 1.1);
    }
  });
});

describe('peak EWMA: shuns a slow endpoint', () => {
  it('sends under 10% of traffic (uniform share: 10%) to an endpoint 10x slower than the rest', () => {
    const clock = fakeClock();
    const b = p2cPeakEwma({ random: mulberry32(3), clock })();
    b.update(endpoints(10));
    const rnd = mulberry32(4);
    const r = simulate({
      balancer: b,
      clock,
      intervalMs: 2,
      durationMs: 30_000,
      latencyMs: (e) => (e.key === 'e0' ? 100 : 10) * (0.8 + 0.4 * rnd()),
    });
    const slowShare = (r.perKey.get('e0') ?? 0) / r.requests;
    expect(slowShare).toBeLessThan(0.1);
    // Not starved forever either: it is still probed now and then.
    expect(slowShare).toBeGreaterThan(0);
  });

  it('least-outstanding p2c, by contrast, still sends the slow endpoint a noticeable share', () => {
    const clock = fakeClock();
    const b = p2c({ random: mulberry32(3) })();
    b.update(endpoints(10));
    const r = simulate({
      balancer: b,
      clock,
      intervalMs: 2,
      durationMs: 30_000,
      latencyMs: (e) => (e.key === 'e0' ? 100 : 10),
    });
    const ewmaClock = fakeClock();
    const e = p2cPeakEwma({ random: mulberry32(3), clock: ewmaClock })();
    e.update(endpoints(10));
    const re = simulate({
      balancer: e,
      clock: ewmaClock,
      intervalMs: 2,
      durationMs: 30_000,
      latencyMs: (x) => (x.key === 'e0' ? 100 : 10),
    });
    expect((re.perKey.get('e0') ?? 0) / re.requests).toBeLessThan((r.perKey.get('e0') ?? 0) / r.requests);
  });
});

describe('aperture: few endpoints at low load, wider under high load', () => {
  it('at ~0.2 requests in flight uses at most 2 of 100 endpoints', () => {
    const clock = fakeClock();
    const b = aperture({ random: mulberry32(5), clock })();
    b.update(endpoints(100));
    const r = simulate({ balancer: b, clock, intervalMs: 100, durationMs: 60_000, latencyMs: () => 20 });
    expect(r.perKey.size).toBeLessThanOrEqual(2);
    expect(apertureState(b)!.aperture).toBe(1);
  });

  it('at ~100 requests in flight widens to keep load per endpoint within [0.5, 2]', () => {
    const clock = fakeClock();
    const b = aperture({ random: mulberry32(6), clock })();
    b.update(endpoints(100));
    let apertureAtEnd = 0;
    const r = simulate({
      balancer: b,
      clock,
      intervalMs: 1,
      durationMs: 40_000,
      latencyMs: () => 100,
      onPick: (_e, t) => {
        if (t === 39_999) apertureAtEnd = apertureState(b)!.aperture;
      },
    });
    // Offered load 100 ⇒ aperture between 100/2 = 50 and 100/0.5 (capped at 100).
    expect(apertureAtEnd).toBeGreaterThanOrEqual(50);
    expect(r.perKey.size).toBeGreaterThanOrEqual(50);
    // When traffic falls back to ~0.2 in flight, the aperture narrows back to (nearly) the minimum.
    simulate({ balancer: b, clock, intervalMs: 100, durationMs: 60_000, latencyMs: () => 20 });
    expect(apertureState(b)!.aperture).toBeLessThanOrEqual(2);
  });
});
