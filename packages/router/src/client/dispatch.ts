/**
 * The client stack's terminal: pick an endpoint from the bound client's balancer, apply the
 * attempt timeout (bounded by the total deadline), forward one attempt and return its response
 * head with the body held back. The path stack's retry layer decides whether it is relayed or
 * discarded; either way the held response this returns feeds the lease and the endpoint and
 * client stats when the attempt ends. Dispatch never calls back into the path stack.
 */
import { IGNORED_OUTCOME, type Lease } from '@switchyard/balancers';
import type { TimerHandle } from '@switchyard/core';
import { routeDeadlineNs } from '../deadline.js';
import type { Endpoint } from '../endpoint.js';
import {
  AttemptTimeoutError,
  BackendRequestTimeoutError,
  DeadlineExceededError,
  NoRouteError,
  RouteTimeoutError,
  TotalTimeoutError,
} from '../errors.js';
import { blamesEndpoint, failureOrigin } from '../failure-origin.js';
import { forwardAttempt } from '../forward/forward.js';
import { forwardH2Attempt } from '../forward/forward-h2.js';
import { type HeldResponse, RAW_FIELDS } from '../held-response.js';
import type { RawFields } from '../raw-fields.js';
import type { RouterRuntime } from '../runtime.js';
import { type AttemptHandler, type Bound, EXCHANGE_STATE, responseDestroyed } from '../stages.js';

/** The innermost handler: pick an endpoint, send one attempt, feed the outcome to the balancer. */
export function dispatchHandler(rt: RouterRuntime): AttemptHandler {
  return async (bound) => {
    const { client, identified } = bound;
    const request = identified.request;
    const state = request.exchange[EXCHANGE_STATE];
    const lease = client.pick();
    if (lease === undefined) {
      const dtabs = { base: rt.baseDtabText, local: request.local.text };
      throw new NoRouteError('no-endpoints', bound.service.name, dtabs);
    }
    const ep = lease.endpoint;
    state.record.endpoint = ep.key;
    // The smaller of requestAttemptTimeoutMs and the route's timeouts.backendRequest, then of
    // what is left before the deadline (totalTimeoutMs or the route's timeouts.request).
    const actions = identified.actions;
    let timeoutMs = client.attemptTimeoutMs;
    const backendMs = actions?.backendRequestTimeoutMs;
    const routeAttempt = backendMs !== undefined && (timeoutMs === undefined || backendMs < timeoutMs);
    if (routeAttempt) timeoutMs = backendMs;
    let totalBound = false;
    if (bound.deadlineNs !== 0n) {
      const left = Math.max(1, Number(bound.deadlineNs - rt.clock.nanoTime()) / 1e6);
      if (timeoutMs === undefined || left < timeoutMs) {
        timeoutMs = Math.ceil(left);
        totalBound = true;
      }
    }
    ep.pending++;
    const dispatched = new Dispatched(rt, bound, lease, backendMs, routeAttempt, totalBound);
    try {
      const attempt = {
        exchange: request.exchange,
        head: request.head,
        endpoint: ep,
        body: bound.body,
        timeoutMs,
        clock: rt.clock,
        closeConnection: rt.closing,
      };
      dispatched.held = await (ep.h2 === undefined
        ? forwardAttempt(attempt)
        : forwardH2Attempt(attempt, ep.h2));
    } catch (caught) {
      dispatched.end();
      throw dispatched.failed(caught);
    }
    return dispatched;
  };
}

/**
 * One dispatched attempt whose head arrived: the forwarder's held response, with the lease, the
 * endpoint and client stats and the `timeouts.backendRequest` cut applied when it is relayed or
 * discarded. A class rather than closures: one object per attempt.
 */
class Dispatched implements HeldResponse {
  /** The forwarder's held response; set once the head arrived. */
  held!: HeldResponse;
  readonly #rt: RouterRuntime;
  readonly #bound: Bound;
  readonly #lease: Lease<Endpoint>;
  readonly #backendMs: number | undefined;
  readonly #routeAttempt: boolean;
  readonly #totalBound: boolean;
  readonly #t0: bigint;
  // timeouts.backendRequest covers the backend request until its full response was received:
  // once the head is relayed, this timer cuts a body still streaming at the limit.
  #cutTimer: TimerHandle | undefined;
  #cut = false;
  #settled = false;

  constructor(
    rt: RouterRuntime,
    bound: Bound,
    lease: Lease<Endpoint>,
    backendMs: number | undefined,
    routeAttempt: boolean,
    totalBound: boolean,
  ) {
    this.#rt = rt;
    this.#bound = bound;
    this.#lease = lease;
    this.#backendMs = backendMs;
    this.#routeAttempt = routeAttempt;
    this.#totalBound = totalBound;
    this.#t0 = rt.clock.nanoTime();
  }

  get status(): number {
    return this.held.status;
  }

  // Read through: the forwarder builds the header object only if someone reads it.
  get headers(): HeldResponse['headers'] {
    return this.held.headers;
  }

  get [RAW_FIELDS](): RawFields | undefined {
    return this.held[RAW_FIELDS];
  }

  end(): void {
    if (this.#cutTimer !== undefined) this.#rt.clock.clearTimeout(this.#cutTimer);
    this.#lease.endpoint.pending--;
  }

  /** The attempt failed: feed the lease and the stats, and name the error by the timeout that cut it. */
  failed(caught: unknown): unknown {
    const bound = this.#bound;
    const client = bound.client;
    const ep = this.#lease.endpoint;
    const backendMs = this.#backendMs;
    // A response cut by timeouts.backendRequest: the endpoint was too slow, not the client gone.
    const err =
      this.#cut && backendMs !== undefined ? new BackendRequestTimeoutError(backendMs, true) : caught;
    // Only the endpoint's failures reach failure accrual and the failure counters; any other
    // ending only releases the lease. An attempt cut by the total deadline still had the
    // endpoint silent for its whole attempt: the endpoint's.
    const origin = failureOrigin(err);
    const blamed = blamesEndpoint(origin);
    this.#lease.done(blamed ? { ok: false } : IGNORED_OUTCOME);
    // A request the client library refused never left the router: not a request to the endpoint.
    if (!(origin.kind === 'local' && origin.reason === 'unforwardable')) {
      ep.stats.requests.incr();
      client.stats.requests.incr();
    }
    if (blamed) {
      ep.stats.failures.incr();
      client.stats.failures.incr();
    }
    if (err instanceof AttemptTimeoutError) {
      if (this.#totalBound) {
        const own = bound.clientDeadline;
        if (own !== undefined && own.ns <= bound.deadlineNs)
          return new DeadlineExceededError(own.ms, own.header);
        const requestMs = bound.identified.actions?.requestTimeoutMs;
        const routeDeadline = routeDeadlineNs(bound.identified.request.exchange.startNs, requestMs);
        const policy = bound.service.policy;
        if (
          policy.totalTimeoutMs === undefined ||
          (routeDeadline !== 0n && routeDeadline <= bound.deadlineNs)
        )
          return new RouteTimeoutError(requestMs ?? 0);
        return new TotalTimeoutError(policy.totalTimeoutMs);
      }
      if (this.#routeAttempt && backendMs !== undefined) return new BackendRequestTimeoutError(backendMs);
    }
    return err;
  }

  async relay(extra?: Readonly<Record<string, string>>): Promise<number> {
    if (this.#settled) throw new Error('HeldResponse: relay or discard was already called');
    this.#settled = true;
    const rt = this.#rt;
    const bound = this.#bound;
    const request = bound.identified.request;
    const backendMs = this.#backendMs;
    if (backendMs !== undefined && request.exchange.upgrade === undefined) {
      const left = Math.max(1, backendMs - Math.floor(Number(rt.clock.nanoTime() - this.#t0) / 1e6));
      this.#cutTimer = rt.clock.setTimeout(() => {
        const res = request.exchange.res;
        if (!res.writableEnded && !responseDestroyed(res)) {
          this.#cut = true;
          res.destroy();
        }
      }, left);
    }
    try {
      const status = await this.held.relay(extra);
      const state = request.exchange[EXCHANGE_STATE];
      state.endNs = rt.clock.nanoTime();
      const rttNs = Number(state.endNs - this.#t0);
      const ok = bound.service.policy.classifier({ method: request.head.method, status }) === 'success';
      this.#lease.done({ ok, rttNs });
      const ep = this.#lease.endpoint;
      const client = bound.client;
      ep.stats.requests.incr();
      client.stats.requests.incr();
      (ok ? ep.stats.success : ep.stats.failures).incr();
      (ok ? client.stats.success : client.stats.failures).incr();
      client.stats.latency.add(rttNs / 1e6);
      return status;
    } catch (caught) {
      throw this.failed(caught);
    } finally {
      this.end();
    }
  }

  discard(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.held.discard();
    // A response the retry layer dropped: the attempt counts as a request to the endpoint,
    // and only releases the lease (the classifier's verdict is not failure accrual's).
    this.#lease.done(IGNORED_OUTCOME);
    this.#lease.endpoint.stats.requests.incr();
    this.#bound.client.stats.requests.incr();
    this.end();
  }
}
