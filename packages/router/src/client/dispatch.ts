/**
 * The client stack's terminal: pick an endpoint from the bound client's balancer, apply the
 * attempt timeout (bounded by the total deadline), forward one attempt and return its response
 * head with the body held back. The path stack's retry layer decides whether it is relayed or
 * discarded; either way the held response this returns feeds the lease and the endpoint and
 * client stats when the attempt ends. Dispatch never calls back into the path stack.
 */
import { IGNORED_OUTCOME } from '@switchyard/balancers';
import { routeDeadlineNs } from '../deadline.js';
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
import type { RouterRuntime } from '../runtime.js';
import { type AttemptHandler, EXCHANGE_STATE, responseDestroyed } from '../stages.js';

/** The innermost handler: pick an endpoint, send one attempt, feed the outcome to the balancer. */
export function dispatchHandler(rt: RouterRuntime): AttemptHandler {
  return async (bound) => {
    const { client, identified } = bound;
    const policy = bound.service.policy;
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
    const t0 = rt.clock.nanoTime();
    // timeouts.backendRequest covers the backend request until its full response was received:
    // once the head is relayed, this timer cuts a body still streaming at the limit.
    let cutTimer: ReturnType<typeof rt.clock.setTimeout> | undefined;
    let cut = false;
    const end = (): void => {
      if (cutTimer !== undefined) rt.clock.clearTimeout(cutTimer);
      ep.pending--;
    };

    /** The attempt failed: feed the lease and the stats, and name the error by the timeout that cut it. */
    const failed = (caught: unknown): unknown => {
      // A response cut by timeouts.backendRequest: the endpoint was too slow, not the client gone.
      const err = cut && backendMs !== undefined ? new BackendRequestTimeoutError(backendMs, true) : caught;
      // Only the endpoint's failures reach failure accrual and the failure counters; any other
      // ending only releases the lease. An attempt cut by the total deadline still had the
      // endpoint silent for its whole attempt: the endpoint's.
      const origin = failureOrigin(err);
      const blamed = blamesEndpoint(origin);
      lease.done(blamed ? { ok: false } : IGNORED_OUTCOME);
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
        if (totalBound) {
          const own = bound.clientDeadline;
          if (own !== undefined && own.ns <= bound.deadlineNs)
            return new DeadlineExceededError(own.ms, own.header);
          const requestMs = actions?.requestTimeoutMs;
          const routeDeadline = routeDeadlineNs(request.exchange.startNs, requestMs);
          if (
            policy.totalTimeoutMs === undefined ||
            (routeDeadline !== 0n && routeDeadline <= bound.deadlineNs)
          )
            return new RouteTimeoutError(requestMs ?? 0);
          return new TotalTimeoutError(policy.totalTimeoutMs);
        }
        if (routeAttempt) return new BackendRequestTimeoutError(backendMs);
      }
      return err;
    };

    let held: HeldResponse;
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
      held = await (ep.h2 === undefined ? forwardAttempt(attempt) : forwardH2Attempt(attempt, ep.h2));
    } catch (caught) {
      end();
      throw failed(caught);
    }
    let settled = false;
    return {
      status: held.status,
      // Read through: the forwarder builds the header object only if someone reads it.
      get headers() {
        return held.headers;
      },
      [RAW_FIELDS]: held[RAW_FIELDS],
      relay: async (extra) => {
        if (settled) throw new Error('HeldResponse: relay or discard was already called');
        settled = true;
        if (backendMs !== undefined && request.exchange.upgrade === undefined) {
          const left = Math.max(1, backendMs - Math.floor(Number(rt.clock.nanoTime() - t0) / 1e6));
          cutTimer = rt.clock.setTimeout(() => {
            const res = request.exchange.res;
            if (!res.writableEnded && !responseDestroyed(res)) {
              cut = true;
              res.destroy();
            }
          }, left);
        }
        try {
          const status = await held.relay(extra);
          state.endNs = rt.clock.nanoTime();
          const rttNs = Number(state.endNs - t0);
          const ok = policy.classifier({ method: request.head.method, status }) === 'success';
          lease.done({ ok, rttNs });
          ep.stats.requests.incr();
          client.stats.requests.incr();
          (ok ? ep.stats.success : ep.stats.failures).incr();
          (ok ? client.stats.success : client.stats.failures).incr();
          client.stats.latency.add(rttNs / 1e6);
          return status;
        } catch (caught) {
          throw failed(caught);
        } finally {
          end();
        }
      },
      discard: () => {
        if (settled) return;
        settled = true;
        held.discard();
        // A response the retry layer dropped: the attempt counts as a request to the endpoint,
        // and only releases the lease (the classifier's verdict is not failure accrual's).
        lease.done(IGNORED_OUTCOME);
        ep.stats.requests.incr();
        client.stats.requests.incr();
        end();
      },
    };
  };
}
