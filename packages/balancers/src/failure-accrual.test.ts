import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createMetricsRegistry } from '@switchyard/core';
import { counterValue, fakeClock } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { endpoints, simulate } from '../test/sim.js';
import {
  type Balancer,
  type BalancerEndpoint,
  backoff,
  consecutiveFailures,
  failureAccrual,
  failureAccrualChannels,
  heap,
  IGNORED_OUTCOME,
  type Lease,
  mulberry32,
  none,
  p2c,
  roundRobin,
  successRate,
  successRateWindowed,
  withFailureAccrual,
} from './index.js';

type Events = { name: string; message: unknown }[];
const subscriptions: [string, (m: unknown, n: string | symbol) => void][] = [];
function record(): Events {
  const events: Events = [];
  for (const name of Object.values(failureAccrualChannels)) {
    const fn = (message: unknown) => events.push({ name, message });
    subscribe(name, fn);
    subscriptions.push([name, fn]);
  }
  return events;
}
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) unsubscribe(name, fn);
});

/** Picks until `key` comes up (bounded), completing other leases with `ok`. */
function pickKey(
  b: Balancer<BalancerEndpoint>,
  key: string,
  limit = 1000,
): Lease<BalancerEndpoint> | undefined {
  for (let i = 0; i < limit; i++) {
    const l = b.pick()!;
    if (l.endpoint.key === key) return l;
    l.done({ ok: true });
  }
  return undefined;
}

describe('failure accrual: consecutiveFailures', () => {
  it('marks dead after N failures, skips, probes once after the window, revives on success', () => {
    const clock = fakeClock(1_000_000);
    const stats = createMetricsRegistry();
    const events = record();
    const b = failureAccrual(consecutiveFailures({ failures: 3 }), {
      backoff: backoff.constant(10_000),
      clock,
      stats,
    })(roundRobin()());
    b.update(endpoints(3));

    // Two failures: still alive. A success resets the count.
    for (const ok of [false, false, true, false, false]) pickKey(b, 'e0')!.done({ ok });
    expect(b.available).toBe(3);
    pickKey(b, 'e0')!.done({ ok: false });
    expect(b.available).toBe(2);
    expect(counterValue(stats, 'failure_accrual/removals')).toBe(1);
    expect(events).toContainEqual({
      name: failureAccrualChannels.markedDead,
      message: { key: 'e0', forMs: 10_000 },
    });

    // Dead: never picked during its window.
    expect(pickKey(b, 'e0', 300)).toBeUndefined();
    clock.advance(9_999);
    expect(pickKey(b, 'e0', 300)).toBeUndefined();

    // Window over: exactly one probe goes through; while it is in flight, no other request does.
    clock.advance(1);
    const probe = pickKey(b, 'e0')!;
    expect(probe).toBeDefined();
    expect(counterValue(stats, 'failure_accrual/probes')).toBe(1);
    expect(pickKey(b, 'e0', 300)).toBeUndefined();
    probe.done({ ok: true });
    expect(b.available).toBe(3);
    expect(counterValue(stats, 'failure_accrual/revivals')).toBe(1);
    expect(events.map((e) => e.name)).toEqual([
      failureAccrualChannels.markedDead,
      failureAccrualChannels.probe,
      failureAccrualChannels.revived,
    ]);
  });

  it('an ignored outcome neither resets a failure streak nor revives a probed endpoint', () => {
    const clock = fakeClock(1_000_000);
    const stats = createMetricsRegistry();
    const b = failureAccrual(consecutiveFailures({ failures: 3 }), {
      backoff: backoff.constant(10_000),
      clock,
      stats,
    })(roundRobin()());
    b.update(endpoints(3));

    // Failures the endpoint did not cause, between its own: the streak still reaches 3.
    for (const outcome of [{ ok: false }, IGNORED_OUTCOME, { ok: false }, IGNORED_OUTCOME, { ok: false }]) {
      pickKey(b, 'e0')!.done(outcome);
    }
    expect(b.available).toBe(2);

    // A probe that ends ignored leaves the endpoint unjudged: the next pick probes it again.
    clock.advance(10_000);
    pickKey(b, 'e0')!.done(IGNORED_OUTCOME);
    expect(counterValue(stats, 'failure_accrual/revivals')).toBe(0);
    const again = pickKey(b, 'e0');
    expect(again).toBeDefined();
    expect(counterValue(stats, 'failure_accrual/probes')).toBe(2);
    again!.done({ ok: true });
    expect(b.available).toBe(3);
    expect(counterValue(stats, 'failure_accrual/revivals')).toBe(1);
  });

  it('a failed probe re-kills with the next backoff; the backoff restarts after a revival', () => {
    const clock = fakeClock();
    const random = mulberry32(9);
    const events = record();
    const b = failureAccrual(consecutiveFailures({ failures: 1 }), {
      backoff: backoff.jittered({ minMs: 1000, maxMs: 60_000 }),
      clock,
      random,
    })(p2c({ random: mulberry32(1) })());
    b.update(endpoints(4));
    pickKey(b, 'e2')!.done({ ok: false });
    const dead = () =>
      events
        .filter((e) => e.name === failureAccrualChannels.markedDead)
        .map((e) => (e.message as { forMs: number }).forMs);
    expect(dead()).toEqual([1000]);
    for (let i = 0; i < 3; i++) {
      clock.advance(dead().at(-1)!);
      pickKey(b, 'e2')!.done({ ok: false });
    }
    const d = dead();
    // Equal jitter: 1000, then [1000, 2000), [2000, 4000), [4000, 8000).
    expect(d[1]).toBeGreaterThanOrEqual(1000);
    expect(d[1]).toBeLessThan(2000);
    expect(d[2]).toBeGreaterThanOrEqual(2000);
    expect(d[2]).toBeLessThan(4000);
    expect(d[3]).toBeGreaterThanOrEqual(4000);
    expect(d[3]).toBeLessThan(8000);
    clock.advance(d[3]!);
    pickKey(b, 'e2')!.done({ ok: true });
    pickKey(b, 'e2')!.done({ ok: false });
    expect(dead().at(-1)).toBe(1000);
  });

  it('in a simulation, a failing endpoint stops receiving traffic after N failures and returns once healthy', () => {
    const clock = fakeClock();
    const b = failureAccrual(consecutiveFailures(), { backoff: backoff.constant(5000), clock })(
      p2c({ random: mulberry32(2) })(),
    );
    b.update(endpoints(5));
    let broken = true;
    const hits: number[] = [];
    simulate({
      balancer: b,
      clock,
      intervalMs: 10,
      durationMs: 30_000,
      latencyMs: () => 5,
      ok: (e) => !(broken && e.key === 'e4'),
      onPick: (e, t) => {
        if (e.key === 'e4') hits.push(t);
        if (t >= 20_000) broken = false;
      },
    });
    // While broken (t < 20 s): the 5 failures, then one probe per 5 s window.
    const whileBroken = hits.filter((t) => t < 20_000).length;
    expect(whileBroken).toBeGreaterThanOrEqual(5);
    expect(whileBroken).toBeLessThanOrEqual(5 + 4);
    // Healthy again: the first probe after 20 s revives it and it gets its share (~1/5 of 1000).
    expect(hits.filter((t) => t >= 25_000).length).toBeGreaterThan(100);
  });

  it('forgets endpoints removed by discovery; their leases in flight settle harmlessly', () => {
    const clock = fakeClock();
    const b = failureAccrual(consecutiveFailures({ failures: 1 }), {
      backoff: backoff.constant(1000),
      clock,
    })(roundRobin()());
    b.update(endpoints(2));
    const l = pickKey(b, 'e1')!;
    const l2 = pickKey(b, 'e1')!;
    l.done({ ok: false });
    expect(b.available).toBe(1);
    b.update(endpoints(1));
    l2.done({ ok: false });
    b.update(endpoints(2));
    // e1 came back as a new endpoint: alive.
    expect(b.available).toBe(2);
  });
});

describe('failure accrual: success rate', () => {
  it('successRate marks dead when the EMA over `requests` requests drops below the threshold', () => {
    const clock = fakeClock();
    const b = failureAccrual(successRate({ successRate: 0.8, requests: 20 }), {
      backoff: backoff.constant(1000),
      clock,
    })(roundRobin()());
    b.update(endpoints(3));
    let n = 0;
    // 50% success on e1: dead once at least 20 requests were seen and the EMA fell below 0.8.
    while (b.available === 3 && n < 200) pickKey(b, 'e1')!.done({ ok: n++ % 2 === 0 });
    expect(b.available).toBe(2);
    expect(n).toBeGreaterThanOrEqual(20);
  });

  it('successRate keeps an endpoint whose success rate is above the threshold', () => {
    const clock = fakeClock();
    const b = failureAccrual(successRate({ successRate: 0.5, requests: 10 }), { clock })(roundRobin()());
    b.update(endpoints(3));
    for (let i = 0; i < 300; i++) pickKey(b, 'e1')!.done({ ok: i % 4 !== 3 });
    expect(b.available).toBe(3);
  });

  it('successRateWindowed needs a full window and 5 requests before marking dead', () => {
    const clock = fakeClock();
    const b = failureAccrual(successRateWindowed({ successRate: 0.9, windowSecs: 10 }), {
      backoff: backoff.constant(1000),
      clock,
    })(roundRobin()());
    b.update(endpoints(3));
    for (let i = 0; i < 20; i++) {
      pickKey(b, 'e0')!.done({ ok: false });
      clock.advance(400);
    }
    // 8 s elapsed: failing throughout, yet not a full window.
    expect(b.available).toBe(3);
    for (let i = 0; i < 10 && b.available === 3; i++) {
      pickKey(b, 'e0')!.done({ ok: false });
      clock.advance(400);
    }
    expect(b.available).toBe(2);
  });
});

describe('failure accrual over the heap balancer', () => {
  it('keeps a dead endpoint off the top of the heap until its probe', () => {
    const clock = fakeClock();
    const b = failureAccrual(consecutiveFailures({ failures: 1 }), {
      backoff: backoff.constant(1000),
      clock,
    })(heap()());
    b.update(endpoints(3));
    const first = b.pick()!;
    first.done({ ok: false });
    const key = first.endpoint.key;
    for (let i = 0; i < 50; i++) {
      const l = b.pick()!;
      expect(l.endpoint.key).not.toBe(key);
      l.done({ ok: true });
    }
    clock.advance(1000);
    // Alive-again candidates all have load 0; hold two leases so the probe endpoint is least loaded.
    const held = [b.pick()!, b.pick()!, b.pick()!];
    expect(held.map((l) => l.endpoint.key)).toContain(key);
    for (const l of held) l.done({ ok: true });
    expect(b.available).toBe(3);
  });
});

describe('failure accrual: none and factories', () => {
  it('none returns the balancer unchanged', () => {
    const inner = p2c()();
    expect(failureAccrual(none)(inner)).toBe(inner);
  });

  it('withFailureAccrual builds wrapped balancers and counts into the per-instance stats', () => {
    const clock = fakeClock();
    const stats = createMetricsRegistry();
    const f = withFailureAccrual(roundRobin(), consecutiveFailures({ failures: 1 }), { clock });
    const b = f({ stats });
    b.update(endpoints(3));
    pickKey(b, 'e0')!.done({ ok: false });
    expect(b.available).toBe(2);
    expect(counterValue(stats, 'failure_accrual/removals')).toBe(1);
    const gauge = stats.snapshot().find((m) => m.name.join('/') === 'loadbalancer/available');
    expect(gauge).toMatchObject({ kind: 'gauge', value: 2 });
  });
});

describe('failure accrual: endpointState for dashboards', () => {
  it('reports alive, dead, then probing once the dead window passes', () => {
    const clock = fakeClock(1_000_000);
    const b = failureAccrual(consecutiveFailures({ failures: 2 }), {
      clock,
      backoff: backoff.constant(1000),
    })(p2c({ random: mulberry32(7) })<BalancerEndpoint>());
    b.update([
      { key: 'a', weight: 1 },
      { key: 'b', weight: 1 },
      { key: 'c', weight: 1 },
    ]);
    expect(b.endpointState?.('a')).toBe('alive');
    for (let i = 0; i < 2; i++) pickKey(b, 'a')!.done({ ok: false });
    expect(b.endpointState?.('a')).toBe('dead');
    clock.advance(1000);
    expect(b.endpointState?.('a')).toBe('probing');
    expect(b.endpointState?.('zzz')).toBeUndefined();
  });

  it('is absent on a balancer without failure accrual', () => {
    expect(p2c()<BalancerEndpoint>().endpointState).toBeUndefined();
  });
});
