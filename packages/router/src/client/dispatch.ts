/**
 * The client stack's terminal: pick an endpoint from the bound client's balancer, apply the
 * attempt timeout (bounded by the total deadline), forward one attempt, and feed the lease.
 */
import { IGNORED_OUTCOME } from '@switchyard/balancers';
import type { RouterHandler } from '../context.js';
import { AttemptTimeoutError, TotalTimeoutError } from '../errors.js';
import { blamesEndpoint, failureOrigin } from '../failure-origin.js';
import { forwardAttempt } from '../forward.js';
import { noRoute } from '../path/bind.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

/** The innermost handler: pick an endpoint, send one attempt, feed the outcome to the balancer. */
export function dispatchHandler(rt: RouterRuntime): RouterHandler {
  return async (ctx) => {
    const c = ctxOf(ctx);
    const client = c.client!;
    const lease = client.pick();
    if (lease === undefined) throw noRoute(rt, c, 'no-endpoints');
    const ep = lease.endpoint;
    c.endpoint = ep.key;
    let timeoutMs = rt.attemptTimeoutMs;
    let totalBound = false;
    if (c.deadlineNs !== 0n) {
      const left = Math.max(1, Number(c.deadlineNs - rt.clock.nanoTime()) / 1e6);
      if (timeoutMs === undefined || left < timeoutMs) {
        timeoutMs = Math.ceil(left);
        totalBound = true;
      }
    }
    ep.pending++;
    const t0 = rt.clock.nanoTime();
    try {
      const status = await forwardAttempt({
        ctx,
        endpoint: ep,
        body: c.body,
        timeoutMs,
        clock: rt.clock,
        retry: c.retryPolicy === undefined ? undefined : c,
        closeConnection: rt.closing,
      });
      c.endNs = rt.clock.nanoTime();
      const rttNs = Number(c.endNs - t0);
      const ok = rt.classifier({ method: c.method, status }) === 'success';
      lease.done({ ok, rttNs });
      ep.stats.requests.incr();
      client.stats.requests.incr();
      (ok ? ep.stats.success : ep.stats.failures).incr();
      (ok ? client.stats.success : client.stats.failures).incr();
      client.stats.latency.add(rttNs / 1e6);
    } catch (err) {
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
      if (totalBound && err instanceof AttemptTimeoutError) throw new TotalTimeoutError(rt.totalTimeoutMs!);
      throw err;
    } finally {
      ep.pending--;
    }
  };
}
