/**
 * Server-stack rate limits, before the request is identified: one token bucket per listening
 * server, and one per client address (bounded LRU). Over the limit the router answers 429 with
 * `Retry-After` itself; the request never reaches identify, bind or a backend.
 */

import { type Clock, type Stats, systemClock } from '@switchyard/core';
import { clientBuckets } from './client-buckets.js';
import { LimitExceededError } from './errors.js';
import type { InboundLike, LimitServerLayer } from './stage.js';
import { retryAfterSeconds, type TokenBucket, type TokenBucketOptions, tokenBucket } from './token-bucket.js';

/** Options of {@link serverRateLimitLayer}. */
export interface ServerRateLimitOptions extends TokenBucketOptions {
  /** Scope the counters go under (e.g. `rt/<label>`); they are `limits/server/<ip>/<port>/…`. */
  readonly stats: Stats;
  readonly clock?: Clock;
}

/**
 * A token bucket per listening server: `limits/server/<ip>/<port>/{allowed,limited}` counters and
 * a `tokens` gauge. Throws `SY_ERR_LIMITS_INVALID_OPTIONS` (naming `limits.server`).
 */
export function serverRateLimitLayer(options: ServerRateLimitOptions): LimitServerLayer {
  const clock = options.clock ?? systemClock;
  const rate = { rps: options.rps, burst: options.burst, clock };
  tokenBucket(rate, 'limits.server'); // checks the options now, not on the first request
  interface PerServer {
    readonly bucket: TokenBucket;
    readonly allowed: ReturnType<Stats['counter']>;
    readonly limited: ReturnType<Stats['counter']>;
  }
  const servers = new Map<string, PerServer>();
  const perServer = (server: { readonly ip: string; readonly port: number }): PerServer => {
    const key = `${server.ip}:${server.port}`;
    let s = servers.get(key);
    if (s === undefined) {
      const scope = options.stats.scope('limits', 'server', server.ip, String(server.port));
      const bucket = tokenBucket(rate, 'limits.server');
      s = { bucket, allowed: scope.counter('allowed'), limited: scope.counter('limited') };
      scope.gauge(['tokens'], () => bucket.tokens());
      servers.set(key, s);
    }
    return s;
  };
  return {
    kind: 'server',
    role: 'rate-limit-server',
    description: `token bucket per server: ${options.rps} rps, burst ${options.burst}; 429 + Retry-After beyond`,
    layer:
      <V extends InboundLike>(next: (value: V) => Promise<void>) =>
      (request: V) => {
        const s = perServer(request.exchange.server);
        const waitMs = s.bucket.take();
        if (waitMs === 0) {
          s.allowed.incr();
          return next(request);
        }
        s.limited.incr();
        return Promise.reject(
          new LimitExceededError(
            'SY_ERR_RATE_LIMITED',
            'Too many requests: server rate limit',
            retryAfterSeconds(waitMs),
          ),
        );
      },
  };
}

/** Options of {@link clientRateLimitLayer}. */
export interface ClientRateLimitOptions extends TokenBucketOptions {
  /** Most client addresses tracked (LRU). */
  readonly maxClients: number;
  /** Scope the counters go under (e.g. `rt/<label>`); they are `limits/client/…`. */
  readonly stats: Stats;
  readonly clock?: Clock;
}

/**
 * A token bucket per client socket address (`remoteAddress`), at most `maxClients` of them (LRU):
 * `limits/client/{allowed,limited,evicted}` counters and a `clients` gauge. Throws
 * `SY_ERR_LIMITS_INVALID_OPTIONS` (naming `limits.perClient`).
 */
export function clientRateLimitLayer(options: ClientRateLimitOptions): LimitServerLayer & {
  /** Clients tracked now. */
  readonly clients: () => number;
} {
  const scope = options.stats.scope('limits', 'client');
  const evicted = scope.counter('evicted');
  const table = clientBuckets(
    {
      rps: options.rps,
      burst: options.burst,
      maxClients: options.maxClients,
      ...(options.clock ? { clock: options.clock } : {}),
      onEvict: () => evicted.incr(),
    },
    'limits.perClient',
  );
  const allowed = scope.counter('allowed');
  const limited = scope.counter('limited');
  scope.gauge(['clients'], () => table.size());
  return {
    kind: 'server',
    role: 'rate-limit-client',
    description: `token bucket per client address: ${options.rps} rps, burst ${options.burst}, ${options.maxClients} clients (LRU); 429 + Retry-After beyond`,
    layer:
      <V extends InboundLike>(next: (value: V) => Promise<void>) =>
      (request: V) => {
        const waitMs = table.take(request.head.remoteAddress);
        if (waitMs === 0) {
          allowed.incr();
          return next(request);
        }
        limited.incr();
        return Promise.reject(
          new LimitExceededError(
            'SY_ERR_RATE_LIMITED',
            'Too many requests: client rate limit',
            retryAfterSeconds(waitMs),
          ),
        );
      },
    clients: () => table.size(),
  };
}
