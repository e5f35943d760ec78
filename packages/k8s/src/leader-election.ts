/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's algorithm
 * (`k8s.io/client-go/tools/leaderelection`): a candidate takes the lease when it does not exist,
 * when it holds it already, or when the record has not changed for `leaseDuration` *as observed
 * locally* (so clocks need not agree); every write is a PUT carrying the read `resourceVersion`,
 * so of two candidates racing for an expired lease exactly one wins (the other gets 409 Conflict).
 * The leader renews every `retryPeriod` and steps down when it could not renew for
 * `renewDeadline`; `close()` releases the lease (empty holder) so a successor need not wait.
 * Defaults are client-go's: 15 s / 10 s / 2 s. Leadership is a hint, not a lock: a paused process
 * can still believe it leads for up to `leaseDuration - renewDeadline` after losing the lease.
 */
import type { Clock, Dispose, Random, TimerHandle } from '@switchyard/core';
import type { KubeClient } from './client.js';
import { KubeApiError, KubeLeaderElectionError } from './errors.js';
import { LEASE_V1 } from './resources.js';
import { k8sChannels } from './runtime.js';
import type { Lease, LeaseSpec } from './types.js';

/** Options of {@link createLeaderElector}. Durations in ms. */
export interface LeaderElectorOptions {
  readonly client: KubeClient;
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /** This candidate's identity (unique among candidates: pod name plus a random suffix, say). */
  readonly identity: string;
  /** How long a lease is valid without renewal (non-leaders wait this long). Default 15 000. */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before stepping down. Default 10 000. */
  readonly renewDeadlineMs?: number;
  /** Interval between attempts (jittered by up to 1.2× for non-leaders). Default 2 000. */
  readonly retryPeriodMs?: number;
  /** Default the client's clock and randomness. */
  readonly clock?: Clock;
  readonly random?: Random;
}

/** A running election. */
export interface LeaderElector {
  /** True while this candidate holds the lease (as of its last successful renewal). */
  isLeader(): boolean;
  /** The holder identity last observed (this candidate's or another's), or undefined. */
  holder(): string | undefined;
  /** Called with `true` on gaining and `false` on losing leadership. Returns a dispose function. */
  onChange(listener: (leader: boolean) => void): Dispose;
  /** Stops campaigning; a leader releases the lease (holder cleared) first. Idempotent. */
  close(): Promise<void>;
}

const JITTER = 1.2;

/** `metav1.MicroTime` text: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Starts campaigning for the lease at once. Throws {@link KubeLeaderElectionError} for inconsistent timings. */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const { client, namespace, name, identity } = options;
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const clock = options.clock ?? client.clock;
  const random = options.random ?? client.random;
  if (!identity) throw new KubeLeaderElectionError('identity must not be empty');
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new KubeLeaderElectionError(
      `leaseDurationMs (${leaseDurationMs}) must be greater than renewDeadlineMs (${renewDeadlineMs})`,
    );
  }
  if (!(renewDeadlineMs > retryPeriodMs * JITTER)) {
    throw new KubeLeaderElectionError(
      `renewDeadlineMs (${renewDeadlineMs}) must be greater than retryPeriodMs × ${JITTER} (${retryPeriodMs * JITTER})`,
    );
  }
  if (retryPeriodMs < 1 || leaseDurationMs < 1000) {
    throw new KubeLeaderElectionError(
      'retryPeriodMs must be ≥ 1 and leaseDurationMs ≥ 1000 (whole seconds in the Lease)',
    );
  }

  let leader = false;
  let closed = false;
  let lastRenew = 0;
  // The last record seen and when it was first seen (local time): expiry is judged from these.
  let observed: string | undefined;
  let observedAt = 0;
  let observedHolder: string | undefined;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;
  const listeners = new Set<(leader: boolean) => void>();

  function setLeader(next: boolean): void {
    if (leader === next) return;
    leader = next;
    if (k8sChannels.leaderElection.hasSubscribers) {
      k8sChannels.leaderElection.publish({ namespace, name, identity, leader: next, holder: observedHolder });
    }
    for (const l of listeners) {
      try {
        l(next);
      } catch {
        // A faulty listener must not stop the election.
      }
    }
  }

  function observe(spec: LeaseSpec | undefined, now: number): void {
    const text = JSON.stringify(spec ?? {});
    if (text !== observed) {
      observed = text;
      observedAt = now;
      observedHolder = spec?.holderIdentity || undefined;
    }
  }

  /** One round of client-go's tryAcquireOrRenew. True when this candidate holds the lease after it. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = clock.now();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const current = await client.get(LEASE_V1, namespace, name);
    if (!current) {
      const created = await client.create(LEASE_V1, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { namespace, name },
        spec: desired,
      });
      observe(created.spec, now);
      return true;
    }
    observe(current.spec, now);
    const spec = current.spec ?? {};
    const held = spec.holderIdentity !== undefined && spec.holderIdentity !== '';
    const mine = spec.holderIdentity === identity;
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(leaseDurationMs / 1000)) * 1000;
    if (held && !mine && observedAt + durationMs > now) return false;
    const next: LeaseSpec = mine
      ? {
          ...desired,
          acquireTime: spec.acquireTime ?? desired.acquireTime,
          leaseTransitions: spec.leaseTransitions ?? 0,
        }
      : { ...desired, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    const updated = await client.replace(LEASE_V1, { ...current, spec: next } as Lease);
    observe(updated.spec, now);
    return true;
  }

  async function attempt(): Promise<boolean> {
    try {
      return await tryAcquireOrRenew();
    } catch (err) {
      // A 409 Conflict means another candidate wrote first; anything else is a failed round.
      if (k8sChannels.leaderElection.hasSubscribers && !(err instanceof KubeApiError && err.status === 409)) {
        k8sChannels.leaderElection.publish({
          namespace,
          name,
          identity,
          leader,
          holder: observedHolder,
          error: err,
        });
      }
      return false;
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (closed) return resolve();
      timer = clock.setTimeout(() => {
        timer = undefined;
        resolve();
      }, ms);
      wake = resolve;
    });
  }
  let wake: (() => void) | undefined;

  async function run(): Promise<void> {
    while (!closed) {
      const ok = await attempt();
      if (closed) break;
      const now = clock.now();
      if (ok) {
        lastRenew = now;
        setLeader(true);
        await sleep(retryPeriodMs);
        continue;
      }
      if (leader && now - lastRenew < renewDeadlineMs) {
        // Still within the renew deadline: keep trying at the normal cadence.
        await sleep(retryPeriodMs);
        continue;
      }
      setLeader(false);
      await sleep(retryPeriodMs * (1 + random() * JITTER));
    }
  }

  async function release(): Promise<void> {
    try {
      const current = await client.get(LEASE_V1, namespace, name);
      if (!current || current.spec?.holderIdentity !== identity) return;
      const now = clock.now();
      await client.replace(LEASE_V1, {
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: microTime(now),
          renewTime: microTime(now),
        },
      } as Lease);
    } catch {
      // Best effort: the lease expires on its own.
    }
  }

  running = run();

  return {
    isLeader: () => leader,
    holder: () => observedHolder,
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clock.clearTimeout(timer);
      wake?.();
      await running;
      const wasLeader = leader;
      if (wasLeader) await release();
      setLeader(false);
      listeners.clear();
    },
  };
}
