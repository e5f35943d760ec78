/**
 * What the stacks see of a client (one bound name's upstream side): the surface of the `Client`
 * class in `client/client.ts`, as a type, so that the shared stage values (`Bound.client`), the
 * runtime and the binding cache's interface can name it without importing the client level.
 */
import type { Balancer, EndpointHealth, Lease, RequeueBudget } from '@switchyard/balancers';
import type { Addr, Counter, Histogram } from '@switchyard/core';
import type { Endpoint } from '../endpoint.js';

/** Client-level counters, under `rt/<router>/client/<id>/`. */
export interface ClientStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
}

/** A snapshot of one client, for the admin dashboard. */
export interface ClientState {
  /** The bound id, shown (e.g. `/$/inet/127.0.0.1/8080`). */
  readonly id: string;
  /** Kind of the current address set (`bound` also when it is empty). */
  readonly addr: Addr['kind'];
  readonly balancer: { readonly size: number; readonly available: number };
  readonly endpoints: readonly {
    readonly host: string;
    readonly port: number;
    readonly weight: number;
    readonly pending: number;
    /** Failure-accrual health, when the balancer tracks it (default `alive`). */
    readonly state: EndpointHealth;
    readonly meta: Readonly<Record<string, unknown>>;
  }[];
}

/** The upstream side of one bound name, as the stacks use it (`Client` implements it). */
export interface BoundClient {
  /** The bound id, shown. */
  readonly id: string;
  readonly stats: ClientStats;
  /** Time until response headers for one attempt, ms (the client policy's `requestAttemptTimeoutMs`). */
  readonly attemptTimeoutMs: number | undefined;
  /** Budget of requeues (connection failures re-sent at once) of this client. */
  readonly requeueBudget: RequeueBudget;
  /** The current address set. `failed` after a good set keeps serving that set (stabilized). */
  readonly addr: Addr;
  /** The balancer, for its `size`/`available`. */
  readonly balancer: Balancer<Endpoint>;
  /** Resolves once the address set is no longer `pending`; `undefined` when it already is not. */
  whenResolved(): Promise<void> | undefined;
  /** A request starts its attempts on this client (the retry layer; retries and requeues included). */
  beginRequest(): void;
  /** A request that began ended; the last one wakes {@link whenIdle}. */
  endRequest(): void;
  /** Requests using this client now. */
  readonly activeRequests: number;
  /** Calls `idle` once no request uses the client: now if none does (one waiter; a later call replaces it). */
  whenIdle(idle: () => void): void;
  /** Picks an endpoint; `undefined` when the set is empty. */
  pick(): Lease<Endpoint> | undefined;
  /** Snapshot for the admin. */
  state(): ClientState;
  /** Stops watching the address set and closes every pool (in-flight requests aborted with `force`). */
  close(force?: boolean): Promise<void>;
}
