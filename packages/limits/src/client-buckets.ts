/**
 * One token bucket per client address, in a bounded LRU (`lru-cache`): at most `maxClients`
 * buckets live, the least recently seen client's bucket goes first. A client evicted and seen
 * again starts with a full bucket — the price of a bounded table; the server-wide bucket is what
 * caps a flood from many addresses.
 */
import { type Clock, systemClock } from '@switchyard/core';
import { LRUCache } from 'lru-cache';
import { requireOption } from './errors.js';
import { type BucketState, checkBucketOptions, type TokenBucketOptions, takeFrom } from './token-bucket.js';

/** Per-client bucket options. */
export interface ClientBucketsOptions extends TokenBucketOptions {
  /** Most clients tracked at once (LRU); an integer ≥ 1. */
  readonly maxClients: number;
  readonly clock?: Clock;
  /** Called once per bucket evicted to make room (for a counter). */
  readonly onEvict?: () => void;
}

/** The per-client table. */
export interface ClientBuckets {
  /** Takes a token from `client`'s bucket (created full); 0 admitted, else ms until a token. */
  take(client: string): number;
  /** Clients tracked now (≤ maxClients). */
  size(): number;
}

/** A bounded table of per-client buckets. Throws `SY_ERR_LIMITS_INVALID_OPTIONS`. */
export function clientBuckets(options: ClientBucketsOptions, where = 'perClient'): ClientBuckets {
  checkBucketOptions(options, where);
  requireOption(
    Number.isInteger(options.maxClients) && options.maxClients >= 1,
    `${where}.maxClients must be an integer >= 1`,
    options.maxClients,
  );
  const clock = options.clock ?? systemClock;
  const rate = { rps: options.rps, burst: options.burst };
  const onEvict = options.onEvict;
  const table = new LRUCache<string, BucketState>({
    max: options.maxClients,
    ...(onEvict === undefined
      ? {}
      : {
          disposeAfter: (_value: BucketState, _key: string, reason: LRUCache.DisposeReason) => {
            if (reason === 'evict') onEvict();
          },
        }),
  });
  return {
    take(client) {
      const now = clock.nanoTime();
      let state = table.get(client);
      if (state === undefined) {
        state = { tokens: rate.burst, at: now };
        table.set(client, state);
      }
      return takeFrom(state, rate, now);
    },
    size: () => table.size,
  };
}
