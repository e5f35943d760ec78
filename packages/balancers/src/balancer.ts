/**
 * The balancer contract shared by every algorithm in this package and by the router.
 * A balancer only chooses: it never opens sockets. The router tells it the endpoint set and the
 * outcome of each request it picked an endpoint for.
 */
import type { Stats } from '@switchyard/core';

/** What a balancer needs to know about an endpoint. `key` is stable across updates (e.g. `ip:port`). */
export interface BalancerEndpoint {
  readonly key: string;
  /** Relative weight, finite and >= 0; 1 is normal. From union weights or namer metadata. 0 gets traffic only in panic or when every weight is 0. */
  readonly weight: number;
}

/** The outcome of one request sent to a picked endpoint. */
export interface LeaseOutcome {
  /** False for a failure that counts against the endpoint (connect error, 5xx per classifier). */
  readonly ok: boolean;
  /** Round-trip latency in nanoseconds, when known. */
  readonly rttNs?: number;
  /**
   * True when the request ended for a reason the endpoint did not cause (the client went away,
   * the router refused or cut it): the lease only releases its load. Failure accrual neither
   * counts it as a success (which would reset a failure streak or revive a probed endpoint) nor
   * as a failure, and latency-aware balancers record no round trip. `ok` is ignored. finagle
   * calls such failures `Ignorable`.
   */
  readonly ignored?: boolean;
}

/** The outcome of a request the endpoint had no part in ending; see {@link LeaseOutcome.ignored}. */
export const IGNORED_OUTCOME: LeaseOutcome = Object.freeze({ ok: true, ignored: true });

/** Failure-accrual health of one endpoint, for display. */
export type EndpointHealth = 'alive' | 'dead' | 'probing';

/** A picked endpoint; `done` must be called exactly once when the request finishes. */
export interface Lease<E> {
  readonly endpoint: E;
  done(outcome: LeaseOutcome): void;
}

/**
 * A load balancer over endpoints of type `E`.
 * `pick()` returns `undefined` only when the set is empty. Updates never disturb leases in flight:
 * a removed endpoint's outstanding leases still complete normally.
 */
export interface Balancer<E extends BalancerEndpoint> {
  /** Chooses an endpoint for one request; `undefined` only when the set is empty (never throws for that). */
  pick(): Lease<E> | undefined;
  /** Replaces the set with `endpoints` (the full current set, diffed by `key`); kept endpoints keep their load. */
  update(endpoints: readonly E[]): void;
  /** Number of endpoints in the set. */
  readonly size: number;
  /** Number of endpoints currently considered available (not marked dead by failure accrual). */
  readonly available: number;
  /**
   * Marks the endpoint with `key` available or not; unknown keys are ignored. Unavailable
   * endpoints are skipped unless most of the set is unavailable (panic mode: pick anyway).
   * Failure accrual drives this; newly added endpoints start available.
   */
  setAvailable(key: string, available: boolean): void;
  /**
   * Health of the endpoint with `key` as failure accrual sees it (for dashboards): `alive`,
   * `dead` (ejected) or `probing` (its dead window passed; one probe is allowed). Balancers
   * without failure accrual don't implement it; unknown keys give `undefined`.
   */
  endpointState?(key: string): EndpointHealth | undefined;
  /** Forgets every endpoint; leases in flight still complete. Later `pick`/`update` throw `SY_ERR_BALANCER_CLOSED`. */
  close(): void;
}

/** Per-instance parameters the router passes when it creates a balancer for one client. */
export interface BalancerParams {
  /** Where the balancer counts (`loadbalancer/panicked`) and gauges (`loadbalancer/size`, `loadbalancer/available`); scope it per client. */
  readonly stats?: Stats;
}

/** Creates a fresh balancer; the router calls it once per bound name (client). */
export type BalancerFactory = <E extends BalancerEndpoint>(params?: BalancerParams) => Balancer<E>;
