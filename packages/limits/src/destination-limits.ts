/**
 * Path-stack rate limits by identified name: each entry's prefix (a dtab path such as `/svc/web`)
 * has one token bucket, shared by every name under it. As in Linkerd 1's per-prefix static
 * configs, when several entries match a name the last one wins. The layer stands after bind and
 * before retries: a limited request is answered 429 without a lease, an attempt or failure accrual.
 */

import { type Clock, type Stats, systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { LimitExceededError, requireOption } from './errors.js';
import type { BoundLike, LimitPathLayer } from './stage.js';
import { retryAfterSeconds, type TokenBucket, type TokenBucketOptions, tokenBucket } from './token-bucket.js';

/** One destination limit. */
export interface DestinationLimit extends TokenBucketOptions {
  /** Prefix of identified names (e.g. `Path.read('/svc/web')`). */
  readonly prefix: Path;
}

/** Options of {@link destinationRateLimitLayer}. */
export interface DestinationRateLimitOptions {
  /** Later entries win over earlier ones for names both match. */
  readonly destinations: readonly DestinationLimit[];
  /** Scope the counters go under (e.g. `rt/<label>`): `limits/dst/<prefix labels>/…`. */
  readonly stats: Stats;
  readonly clock?: Clock;
}

interface Entry {
  readonly prefix: Path;
  readonly bucket: TokenBucket;
  readonly allowed: ReturnType<Stats['counter']>;
  readonly limited: ReturnType<Stats['counter']>;
}

/**
 * A token bucket per destination prefix: `limits/dst/<prefix labels>/{allowed,limited}` and a
 * `tokens` gauge. Names under no prefix pass untouched. Throws `SY_ERR_LIMITS_INVALID_OPTIONS`
 * (naming `limits.destinations[i]`).
 */
export function destinationRateLimitLayer(options: DestinationRateLimitOptions): LimitPathLayer {
  const clock = options.clock ?? systemClock;
  requireOption(
    options.destinations.length > 0,
    'limits.destinations must list at least one prefix',
    options.destinations,
  );
  const entries: Entry[] = options.destinations.map((d, i) => {
    const bucket = tokenBucket({ rps: d.rps, burst: d.burst, clock }, `limits.destinations[${i}]`);
    const scope = options.stats.scope('limits', 'dst', ...d.prefix.map(Path.showLabel));
    scope.gauge(['tokens'], () => bucket.tokens());
    return { prefix: d.prefix, bucket, allowed: scope.counter('allowed'), limited: scope.counter('limited') };
  });
  const match = (dst: Path): Entry | undefined => {
    for (let i = entries.length - 1; i >= 0; i--) {
      if (Path.startsWith(dst, entries[i]!.prefix)) return entries[i];
    }
    return undefined;
  };
  return {
    kind: 'path',
    role: 'rate-limit-dst',
    description: `token bucket per destination prefix (${options.destinations.map((d) => Path.show(d.prefix)).join(', ')}); 429 + Retry-After beyond`,
    layer: <V extends BoundLike>(next: (value: V) => Promise<void>) => {
      // The path stack is built once per service (one name): the match is remembered for it.
      let lastDst: Path | undefined;
      let entry: Entry | undefined;
      return (bound: V) => {
        const dst = bound.identified.dst;
        if (dst !== lastDst) {
          entry = match(dst);
          lastDst = dst;
        }
        if (entry === undefined) return next(bound);
        const waitMs = entry.bucket.take();
        if (waitMs === 0) {
          entry.allowed.incr();
          return next(bound);
        }
        entry.limited.incr();
        return Promise.reject(
          new LimitExceededError(
            'SY_ERR_RATE_LIMITED',
            `Too many requests: rate limit of ${Path.show(entry.prefix)}`,
            retryAfterSeconds(waitMs),
          ),
        );
      };
    },
  };
}
