/**
 * The route's request timeout (Gateway API `timeouts.request`): a deadline from the request's
 * arrival to the end of its response. It is carried on the `Bound` value: the retries layer keeps
 * the earlier of it and `totalTimeoutMs`, each attempt's wait for response headers is bounded by
 * what is left, and an attempt cut by it ends as `RouteTimeoutError` (504). Once the response head
 * was sent, a timer here aborts the response at the deadline, and the request ends with
 * `RouteTimeoutError` (the rescue layer's error exit finds the response destroyed). The
 * per-attempt `timeouts.backendRequest` is applied where attempts are sent (`client/dispatch.ts`).
 */
import { earliestDeadline, routeDeadlineNs } from '../deadline.js';
import { RouteTimeoutError } from '../errors.js';
import type { RouterRuntime } from '../runtime.js';
import { type Bound, type BoundHandler, type PathLayer, responseDestroyed } from '../stages.js';

export function routeTimeoutLayer(rt: RouterRuntime): PathLayer {
  return {
    kind: 'path',
    role: 'route-timeout',
    description:
      "the route's request timeout (Gateway API timeouts.request): 504 before the response head, abort after",
    layer: (next) => (bound) => {
      const ms = bound.identified.actions?.requestTimeoutMs;
      // No timeout on the route (the common case): no frame of its own, the next layer's promise.
      if (ms === undefined) return next(bound);
      return timed(rt, next, bound, ms);
    },
  };
}

/** `next` under the route's request timeout of `ms`. */
async function timed(rt: RouterRuntime, next: BoundHandler, bound: Bound, ms: number): Promise<void> {
  const exchange = bound.identified.request.exchange;
  const deadline = routeDeadlineNs(exchange.startNs, ms);
  // Before the head is sent the attempt's own timeout (bounded by the deadline) answers 504;
  // after it, nothing else watches the clock while the body streams: cut it here.
  const left = Math.max(1, Math.ceil(Number(deadline - rt.clock.nanoTime()) / 1e6));
  let cut = false;
  const timer =
    exchange.upgrade === undefined
      ? rt.clock.setTimeout(() => {
          const res = exchange.res;
          if (res.headersSent && !res.writableEnded && !responseDestroyed(res)) {
            cut = true;
            res.destroy();
          }
        }, left)
      : undefined;
  try {
    await next({ ...bound, deadlineNs: earliestDeadline(bound.deadlineNs, deadline) });
  } catch (err) {
    // The attempt saw its client go away: that was this deadline.
    throw cut ? new RouteTimeoutError(ms) : err;
  } finally {
    if (timer !== undefined) rt.clock.clearTimeout(timer);
  }
}
