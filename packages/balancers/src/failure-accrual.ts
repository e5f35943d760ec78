/**
 * Failure accrual (Linkerd's circuit breaking): per-endpoint health judged from request
 * outcomes. A policy decides when an endpoint is dead; it is then marked unavailable in the
 * balancer for a backoff window, after which exactly one probe request may go to it. A successful
 * probe revives it; a failed one kills it again for the next (longer) backoff.
 *
 * It wraps any `Balancer`: it sees every lease outcome, and drives availability through
 * `Balancer.setAvailable`, so the balancers stay unaware of health policy. Dead windows expire
 * lazily on the next `pick()` (a min-heap of deadlines), so there are no timers to leak.
 *
 * Source: finagle `FailureAccrualFactory` (states Alive, Dead, ProbeOpen, ProbeClosed) and
 * `FailureAccrualPolicy` (consecutiveFailures, successRate, successRateWithinDuration); Linkerd
 * `client.failureAccrual` kinds.
 */
import { channel } from 'node:diagnostics_channel';
import type { Clock, Random, Stats } from '@switchyard/core';
import { assertNever, systemClock } from '@switchyard/core';
import { accrualBackoff, type Backoff, type BackoffStream, backoff as backoffs } from './backoff.js';
import type { Balancer, BalancerEndpoint, BalancerFactory, Lease, LeaseOutcome } from './balancer.js';
import { requireOption } from './errors.js';
import { createIndexedHeap, type HeapItem } from './indexed-heap.js';
import { createWindowedAdder } from './windowed-adder.js';

/** When an endpoint counts as dead, by Linkerd `failureAccrual.kind`. */
export type FailureAccrualPolicy =
  | { readonly kind: 'io.l5d.consecutiveFailures'; readonly failures: number }
  | { readonly kind: 'io.l5d.successRate'; readonly successRate: number; readonly requests: number }
  | { readonly kind: 'io.l5d.successRateWindowed'; readonly successRate: number; readonly windowSecs: number }
  | { readonly kind: 'none' };

/** Dead after `failures` (default 5) failures in a row. Linkerd's default policy. */
export function consecutiveFailures(options: { readonly failures?: number } = {}): FailureAccrualPolicy {
  const failures = options.failures ?? 5;
  requireOption(
    Number.isInteger(failures) && failures >= 1,
    'consecutiveFailures',
    'failures must be an integer >= 1',
    failures,
  );
  return Object.freeze({ kind: 'io.l5d.consecutiveFailures', failures });
}

/**
 * Dead when the success rate, an exponential moving average over `requests` requests, drops
 * below `successRate` (0…1); never before `requests` requests have been seen.
 */
export function successRate(options: {
  readonly successRate: number;
  readonly requests: number;
}): FailureAccrualPolicy {
  requireOption(
    options.successRate >= 0 && options.successRate <= 1,
    'successRate',
    'successRate must be in [0, 1]',
    options.successRate,
  );
  requireOption(
    Number.isInteger(options.requests) && options.requests >= 1,
    'successRate',
    'requests must be an integer >= 1',
    options.requests,
  );
  return Object.freeze({
    kind: 'io.l5d.successRate',
    successRate: options.successRate,
    requests: options.requests,
  });
}

/**
 * Dead when the success rate, an exponential moving average over `windowSecs` seconds, drops below
 * `successRate`; only once a full window has passed and at least 5 requests fell within the window.
 */
export function successRateWindowed(options: {
  readonly successRate: number;
  readonly windowSecs: number;
}): FailureAccrualPolicy {
  requireOption(
    options.successRate >= 0 && options.successRate <= 1,
    'successRateWindowed',
    'successRate must be in [0, 1]',
    options.successRate,
  );
  requireOption(options.windowSecs > 0, 'successRateWindowed', 'windowSecs must be > 0', options.windowSecs);
  return Object.freeze({
    kind: 'io.l5d.successRateWindowed',
    successRate: options.successRate,
    windowSecs: options.windowSecs,
  });
}

/** Failure accrual disabled. */
export const none: FailureAccrualPolicy = Object.freeze({ kind: 'none' });

/** Options of {@link failureAccrual}. */
export interface FailureAccrualOptions {
  /** How long a dead endpoint stays dead, per successive death (default `jittered` 5 s–300 s, equal jitter). */
  readonly backoff?: Backoff;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Counters `failure_accrual/{removals,revivals,probes}`; gauge `failure_accrual/dead`. */
  readonly stats?: Stats;
}

/** Turns a balancer into one that also applies failure accrual. */
export type BalancerWrapper = <E extends BalancerEndpoint>(inner: Balancer<E>) => Balancer<E>;

/** Accrual state of one endpoint, finagle's four states. */
export type AccrualState = 'alive' | 'dead' | 'probeOpen' | 'probeClosed';

/** Published on `switchyard:balancers:markedDead`. */
export interface MarkedDeadEvent {
  readonly key: string;
  readonly forMs: number;
}

/** Published on `switchyard:balancers:revived` and `switchyard:balancers:probe`. */
export interface EndpointEvent {
  readonly key: string;
}

/** diagnostics_channel names published by failure accrual. */
export const failureAccrualChannels = Object.freeze({
  markedDead: 'switchyard:balancers:markedDead',
  revived: 'switchyard:balancers:revived',
  probe: 'switchyard:balancers:probe',
});

const markedDeadChannel = channel(failureAccrualChannels.markedDead);
const revivedChannel = channel(failureAccrualChannels.revived);
const probeChannel = channel(failureAccrualChannels.probe);

/** finagle's decision interface: feed outcomes, learn whether (and for how long) to mark dead. */
interface PolicyTracker {
  recordSuccess(): void;
  /** Ms to stay dead, or undefined to stay alive. */
  markDeadOnFailure(): number | undefined;
  revived(): void;
}

/** finagle `Ema`: time-weighted exponential moving average; the first sample is taken as is. */
function createEma(window: number) {
  let value = 0;
  let stamp = -1;
  return {
    update(t: number, x: number): number {
      if (stamp < 0) value = x;
      else {
        const w = Math.exp(-Math.max(t - stamp, 0) / window);
        value = x * (1 - w) + value * w;
      }
      stamp = t;
      return value;
    },
    reset() {
      value = 0;
      stamp = -1;
    },
  };
}

/** Minimum requests within the window before `successRateWindowed` may mark dead (finagle default). */
const MIN_REQUESTS_IN_WINDOW = 5;

function tracker(
  policy: Exclude<FailureAccrualPolicy, { kind: 'none' }>,
  fresh: () => BackoffStream,
  nowMs: () => number,
): PolicyTracker {
  let deadFor = fresh();
  const nextDeadFor = () => deadFor.next().value;
  switch (policy.kind) {
    case 'io.l5d.consecutiveFailures': {
      let failures = 0;
      return {
        recordSuccess: () => {
          failures = 0;
        },
        markDeadOnFailure: () => (++failures >= policy.failures ? nextDeadFor() : undefined),
        revived: () => {
          failures = 0;
          deadFor = fresh();
        },
      };
    }
    case 'io.l5d.successRate':
    case 'io.l5d.successRateWindowed': {
      const byRequests = policy.kind === 'io.l5d.successRate';
      const window = byRequests ? policy.requests : policy.windowSecs * 1000;
      const ema = createEma(window);
      const inWindow = byRequests ? undefined : createWindowedAdder(window, 5, nowMs);
      let total = 0;
      let startMs = nowMs();
      const stamp = () => (byRequests ? ++total : nowMs() - startMs);
      return {
        recordSuccess() {
          inWindow?.add(1);
          ema.update(stamp(), 1);
        },
        markDeadOnFailure() {
          inWindow?.add(1);
          const t = stamp();
          const rate = ema.update(t, 0);
          const enough = inWindow === undefined || inWindow.sum() >= MIN_REQUESTS_IN_WINDOW;
          return t >= window && rate < policy.successRate && enough ? nextDeadFor() : undefined;
        },
        revived() {
          total = 0;
          startMs = nowMs();
          inWindow?.reset();
          ema.reset();
          deadFor = fresh();
        },
      };
    }
    default:
      return assertNever(policy);
  }
}

interface Health extends HeapItem {
  readonly key: string;
  state: AccrualState;
  deadUntil: number;
  readonly policy: PolicyTracker;
}

/**
 * The lease failure accrual hands out around the inner balancer's: one object per pick (no `done`
 * closure per request), settling the endpoint's health once.
 */
class AccrualLease<E extends BalancerEndpoint> implements Lease<E> {
  readonly endpoint: E;
  /** `undefined` once settled: `done` counts once. */
  #inner: Lease<E> | undefined;
  readonly #health: Health;
  readonly #settle: (h: Health, outcome: LeaseOutcome) => void;

  constructor(inner: Lease<E>, health: Health, settle: (h: Health, outcome: LeaseOutcome) => void) {
    this.endpoint = inner.endpoint;
    this.#inner = inner;
    this.#health = health;
    this.#settle = settle;
  }

  done(outcome: LeaseOutcome): void {
    const inner = this.#inner;
    if (inner === undefined) return;
    this.#inner = undefined;
    inner.done(outcome);
    this.#settle(this.#health, outcome);
  }
}

/**
 * Wraps balancers with failure accrual under `policy` (see the module comment). The wrapper
 * changes only which endpoints are available; `pick`, `update`, `size` and leases behave as the
 * inner balancer's. A dead endpoint can still be picked in panic mode; outcomes of such requests
 * do not change its state (finagle). `policy` `none` returns balancers unchanged.
 */
export function failureAccrual(
  policy: FailureAccrualPolicy,
  options: FailureAccrualOptions = {},
): BalancerWrapper {
  if (policy.kind === 'none') return (inner) => inner;
  const active = policy;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const backoffPolicy = options.backoff ?? backoffs.jittered();
  const nowMs = () => clock.now();
  const stats = options.stats?.scope('failure_accrual');
  const removals = stats?.counter('removals');
  const revivals = stats?.counter('revivals');
  const probes = stats?.counter('probes');

  return <E extends BalancerEndpoint>(inner: Balancer<E>): Balancer<E> => {
    const health = new Map<string, Health>();
    const deadlines = createIndexedHeap<Health>((a, b) => a.deadUntil < b.deadUntil);
    let deadCount = 0;
    const deadGauge = stats?.gauge(['dead'], () => deadCount);

    function entry(key: string): Health {
      let h = health.get(key);
      if (h === undefined) {
        h = {
          key,
          state: 'alive',
          deadUntil: 0,
          heapIndex: -1,
          policy: tracker(active, () => accrualBackoff(backoffPolicy, random), nowMs),
        };
        health.set(key, h);
      }
      return h;
    }

    function setState(h: Health, state: AccrualState): void {
      if (h.state === 'dead') deadCount--;
      if (state === 'dead') deadCount++;
      h.state = state;
    }

    function markDead(h: Health, forMs: number): void {
      setState(h, 'dead');
      h.deadUntil = nowMs() + forMs;
      deadlines.remove(h);
      deadlines.push(h);
      inner.setAvailable(h.key, false);
      removals?.incr();
      if (markedDeadChannel.hasSubscribers)
        markedDeadChannel.publish({ key: h.key, forMs } satisfies MarkedDeadEvent);
    }

    function startProbing(h: Health): void {
      setState(h, 'probeOpen');
      inner.setAvailable(h.key, true);
    }

    function expireDeadlines(): void {
      const now = nowMs();
      for (let top = deadlines.peek(); top !== undefined && top.deadUntil <= now; top = deadlines.peek()) {
        deadlines.remove(top);
        if (top.state === 'dead') startProbing(top);
      }
    }

    function settle(h: Health, outcome: LeaseOutcome): void {
      // The endpoint may have been removed (and maybe re-added) while the request was in flight.
      if (health.get(h.key) !== h) return;
      if (outcome.ignored === true) {
        // Says nothing about the endpoint: a probe that ended so must be sent again.
        if (h.state === 'probeClosed') startProbing(h);
        return;
      }
      if (outcome.ok) {
        if (h.state === 'probeClosed') {
          setState(h, 'alive');
          h.policy.revived();
          inner.setAvailable(h.key, true);
          revivals?.incr();
          if (revivedChannel.hasSubscribers) revivedChannel.publish({ key: h.key } satisfies EndpointEvent);
        }
        h.policy.recordSuccess();
        return;
      }
      if (h.state !== 'alive' && h.state !== 'probeClosed') return;
      const forMs = h.policy.markDeadOnFailure();
      if (forMs !== undefined) markDead(h, forMs);
      // An inconclusive failed probe: probe again rather than guess (finagle).
      else if (h.state === 'probeClosed') startProbing(h);
    }

    return {
      pick(): Lease<E> | undefined {
        expireDeadlines();
        const lease = inner.pick();
        if (lease === undefined) return undefined;
        const h = entry(lease.endpoint.key);
        if (h.state === 'probeOpen') {
          // Exactly one probe: unavailable again until its outcome is known.
          setState(h, 'probeClosed');
          inner.setAvailable(h.key, false);
          probes?.incr();
          if (probeChannel.hasSubscribers) probeChannel.publish({ key: h.key } satisfies EndpointEvent);
        }
        return new AccrualLease(lease, h, settle);
      },
      update(endpoints) {
        inner.update(endpoints);
        const keep = new Set<string>();
        for (const e of endpoints) keep.add(e.key);
        for (const [key, h] of health) {
          if (keep.has(key)) continue;
          deadlines.remove(h);
          setState(h, 'alive');
          health.delete(key);
        }
        for (const key of keep) entry(key);
      },
      get size() {
        return inner.size;
      },
      get available() {
        expireDeadlines();
        return inner.available;
      },
      setAvailable(key, available) {
        inner.setAvailable(key, available);
      },
      endpointState(key) {
        expireDeadlines();
        const state = health.get(key)?.state;
        if (state === undefined) return undefined;
        return state === 'alive' || state === 'dead' ? state : 'probing';
      },
      close() {
        inner.close();
        deadlines.clear();
        health.clear();
        deadGauge?.dispose();
      },
    };
  };
}

/** A factory whose balancers come from `factory` wrapped in failure accrual (stats from the per-instance params). */
export function withFailureAccrual(
  factory: BalancerFactory,
  policy: FailureAccrualPolicy,
  options: FailureAccrualOptions = {},
): BalancerFactory {
  return <E extends BalancerEndpoint>(params?: Parameters<BalancerFactory>[0]) => {
    const stats = options.stats ?? params?.stats;
    return failureAccrual(policy, { ...options, ...(stats ? { stats } : {}) })(factory<E>(params));
  };
}
