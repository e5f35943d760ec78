/**
 * A discrete-event simulation driver for balancer tests: requests arrive at a fixed interval,
 * each is picked, held for a latency drawn per endpoint and completed at that simulated time.
 * Time is a fake clock, so simulations of minutes run in milliseconds and are deterministic.
 */

import type { FakeClock } from '@switchyard/testkit';
import type { Balancer, BalancerEndpoint, Lease } from '../src/index.js';

export interface SimOptions<E extends BalancerEndpoint> {
  readonly balancer: Balancer<E>;
  readonly clock: FakeClock;
  readonly intervalMs: number;
  readonly durationMs: number;
  /** Latency of a request to `endpoint`, ms. */
  readonly latencyMs: (endpoint: E) => number;
  /** Whether the request to `endpoint` succeeds (default always). */
  readonly ok?: (endpoint: E) => boolean;
  /** Called after every pick with the endpoint picked. */
  readonly onPick?: (endpoint: E, nowMs: number) => void;
}

export interface SimResult {
  readonly requests: number;
  readonly perKey: Map<string, number>;
}

interface Pending<E> {
  readonly at: number;
  readonly lease: Lease<E>;
  readonly ok: boolean;
}

/** Runs the simulation; see the module comment. */
export function simulate<E extends BalancerEndpoint>(options: SimOptions<E>): SimResult {
  const { balancer, clock, intervalMs, durationMs } = options;
  const queue: Pending<E>[] = [];
  const perKey = new Map<string, number>();
  let requests = 0;
  const start = clock.now();

  // A small binary heap on completion time.
  const push = (p: Pending<E>) => {
    queue.push(p);
    let i = queue.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (queue[parent]!.at <= p.at) break;
      queue[i] = queue[parent]!;
      i = parent;
    }
    queue[i] = p;
  };
  const pop = (): Pending<E> => {
    const top = queue[0]!;
    const last = queue.pop()!;
    if (queue.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= queue.length) break;
        const r = l + 1;
        const c = r < queue.length && queue[r]!.at < queue[l]!.at ? r : l;
        if (queue[c]!.at >= last.at) break;
        queue[i] = queue[c]!;
        i = c;
      }
      queue[i] = last;
    }
    return top;
  };

  const completeUntil = (t: number) => {
    while (queue.length > 0 && queue[0]!.at <= t) {
      const p = pop();
      clock.advance(Math.max(0, p.at - clock.now()));
      p.lease.done({ ok: p.ok });
    }
    clock.advance(Math.max(0, t - clock.now()));
  };

  for (let t = start; t < start + durationMs; t += intervalMs) {
    completeUntil(t);
    const lease = balancer.pick();
    if (lease === undefined) continue;
    requests++;
    const e = lease.endpoint;
    perKey.set(e.key, (perKey.get(e.key) ?? 0) + 1);
    options.onPick?.(e, t);
    push({ at: t + options.latencyMs(e), lease, ok: options.ok?.(e) ?? true });
  }
  while (queue.length > 0) {
    const p = pop();
    clock.advance(Math.max(0, p.at - clock.now()));
    p.lease.done({ ok: p.ok });
  }
  return { requests, perKey };
}

/** `n` endpoints `e0…e(n-1)` with weight 1 (or from `weight`). */
export function endpoints(n: number, weight: (i: number) => number = () => 1): BalancerEndpoint[] {
  return Array.from({ length: n }, (_, i) => ({ key: `e${i}`, weight: weight(i) }));
}
