/**
 * Load shedding by an adaptive concurrency limit per destination (one AIMD limit per identified
 * name, see `aimd.ts`). The layer stands in the path stack, which the router builds once per
 * service, so each name gets its own limit that lives as long as the router keeps the service.
 * Beyond the limit the request is answered 503 at once, before any attempt.
 */

import { type Clock, type Gauge, type Stats, systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { type AimdLimit, type AimdOptions, aimdLimit, aimdOptions } from './aimd.js';
import { LimitExceededError } from './errors.js';
import type { BoundLike, EvictionLike, LimitPathLayer } from './stage.js';

/** Options of {@link adaptiveConcurrencyLayer}. */
export interface AdaptiveConcurrencyOptions extends AimdOptions {
  /** Scope the metrics go under (e.g. `rt/<label>`): `limits/concurrency/<dst labels>/…`. */
  readonly stats: Stats;
  readonly clock?: Clock;
}

/** Upstream answers that mean "overloaded" to the limit, besides slowness and router errors. */
const OVERLOAD_STATUS = new Set([503, 504]);

/**
 * Sheds load per destination: `limits/concurrency/<dst labels>/{admitted,shed}` counters and
 * `limit` and `inflight` gauges. The gauges are unregistered when the router evicts the
 * destination's service (`evicted`); the counters stay. Throws `SY_ERR_LIMITS_INVALID_OPTIONS`
 * (naming `limits.adaptiveConcurrency`).
 */
export function adaptiveConcurrencyLayer(options: AdaptiveConcurrencyOptions): LimitPathLayer {
  const clock = options.clock ?? systemClock;
  const o = aimdOptions(options, 'limits.adaptiveConcurrency');
  // The gauges of each destination (`Path.show`), until the router evicts its service.
  const gauges = new Map<string, readonly Gauge[]>();
  return {
    kind: 'path',
    role: 'concurrency-limit',
    description: `adaptive (AIMD) concurrency limit per destination: start ${o.initialLimit}, [${o.minLimit}, ${o.maxLimit}], overload above ${o.latencyThresholdMs} ms; 503 beyond`,
    layer: <V extends BoundLike>(next: (value: V) => Promise<void>) => {
      const limit: AimdLimit = aimdLimit(o, 'limits.adaptiveConcurrency');
      let counters:
        | { admitted: ReturnType<Stats['counter']>; shed: ReturnType<Stats['counter']> }
        | undefined;
      const countersFor = (dst: Path) => {
        if (counters === undefined) {
          const scope = options.stats.scope('limits', 'concurrency', ...dst.map(Path.showLabel));
          // Gauges hold the limit weakly: the router may drop this service's stack.
          const ref = new WeakRef(limit);
          const key = Path.show(dst);
          for (const g of gauges.get(key) ?? []) g.dispose();
          gauges.set(key, [
            scope.gauge(['limit'], () => Math.floor(ref.deref()?.limit() ?? 0)),
            scope.gauge(['inflight'], () => ref.deref()?.inflight() ?? 0),
          ]);
          counters = { admitted: scope.counter('admitted'), shed: scope.counter('shed') };
        }
        return counters;
      };
      return async (bound: V) => {
        const c = countersFor(bound.identified.dst);
        const release = limit.acquire();
        const exchange = bound.identified.request.exchange;
        if (release === undefined) {
          c.shed.incr();
          return Promise.reject(
            new LimitExceededError(
              'SY_ERR_OVERLOADED',
              `Service overloaded: concurrency limit of ${Path.show(bound.identified.dst)} reached`,
              1,
            ),
          );
        }
        c.admitted.incr();
        const start = clock.nanoTime();
        let dropped = true;
        try {
          await next(bound);
          dropped = OVERLOAD_STATUS.has(exchange.res.statusCode);
        } finally {
          release({ latencyMs: Number(clock.nanoTime() - start) / 1e6, dropped });
        }
      };
    },
    evicted: (event: EvictionLike) => {
      if (event.kind !== 'service') return;
      const key = Path.show(event.name);
      for (const g of gauges.get(key) ?? []) g.dispose();
      gauges.delete(key);
    },
  };
}
