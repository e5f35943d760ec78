/**
 * The client stack's terminal: pick an endpoint from the bound client's balancer, apply the
 * attempt timeout (bounded by the total deadline), forward one attempt, hand its response head to
 * the path stack's retry policy (`Bound.retry`: discard and retry, or relay), and feed the lease.
 */
import { IGNORED_OUTCOME, type ResponseClassifier } from '@switchyard/balancers';
import { assertNever } from '@switchyard/core';
import { classifierInput } from '../classifier-input.js';
import { routeDeadlineNs } from '../deadline.js';
import {
  AttemptTimeoutError,
  BackendRequestTimeoutError,
  DeadlineExceededError,
  NoRouteError,
  RetryableStatus,
  RouteTimeoutError,
  TotalTimeoutError,
} from '../errors.js';
import { blamesEndpoint, failureOrigin } from '../failure-origin.js';
import { forwardAttempt } from '../forward/forward.js';
import { forwardH2Attempt } from '../forward/forward-h2.js';
import type { HeldResponse } from '../held-response.js';
import type { RouterRuntime } from '../runtime.js';
import { type BoundHandler, EXCHANGE_STATE, responseDestroyed } from '../stages.js';

const SUCCESS = Object.freeze({ 'l5d-success-class': '1.0' });
const FAILURE = Object.freeze({ 'l5d-success-class': '0.0' });
const RETRYABLE = Object.freeze({ 'l5d-success-class': '0.0', 'l5d-retryable': 'true' });

/** `l5d-success-class` (and `l5d-retryable: true`) of a response head, by the router's classifier. */
function successClass(
  classifier: ResponseClassifier,
  method: string,
  held: HeldResponse,
): Readonly<Record<string, string>> {
  const cls = classifier(classifierInput(method, held.status, held.headers));
  switch (cls) {
    case 'success':
      return SUCCESS;
    case 'retryableFailure':
      return RETRYABLE;
    case 'failure':
      return FAILURE;
    default:
      return assertNever(cls);
  }
}

/** The innermost handler: pick an endpoint, send one attempt, feed the outcome to the balancer. */
export function dispatchHandler(rt: RouterRuntime): BoundHandler {
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
      const held = await (ep.h2 === undefined ? forwardAttempt(attempt) : forwardH2Attempt(attempt, ep.h2));
      // The path stack's retry policy decides from the head, before anything reaches the client.
      if (bound.retry?.(held)) {
        held.discard();
        throw new RetryableStatus(held.status);
      }
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
      // Linkerd 1's ClassifierFilter: the response's class for the hop in front (a Linkerd's
      // io.l5d.header classifier reads it); l5d-* context, so never under clearContext.
      const status = await held.relay(
        request.exchange.server.clearContext
          ? undefined
          : successClass(policy.classifier, request.head.method, held),
      );
      state.endNs = rt.clock.nanoTime();
      const rttNs = Number(state.endNs - t0);
      const ok = policy.classifier({ method: request.head.method, status }) === 'success';
      lease.done({ ok, rttNs });
      ep.stats.requests.incr();
      client.stats.requests.incr();
      (ok ? ep.stats.success : ep.stats.failures).incr();
      (ok ? client.stats.success : client.stats.failures).incr();
      client.stats.latency.add(rttNs / 1e6);
    } catch (caught) {
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
            throw new DeadlineExceededError(own.ms, own.header);
          const requestMs = actions?.requestTimeoutMs;
          const routeDeadline = routeDeadlineNs(request.exchange.startNs, requestMs);
          if (
            policy.totalTimeoutMs === undefined ||
            (routeDeadline !== 0n && routeDeadline <= bound.deadlineNs)
          )
            throw new RouteTimeoutError(requestMs ?? 0);
          throw new TotalTimeoutError(policy.totalTimeoutMs);
        }
        if (routeAttempt) throw new BackendRequestTimeoutError(backendMs);
      }
      throw err;
    } finally {
      if (cutTimer !== undefined) rt.clock.clearTimeout(cutTimer);
      ep.pending--;
    }
  };
}
