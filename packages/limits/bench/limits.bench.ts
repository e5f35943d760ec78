/**
 * Per-request cost of the limits' decisions (no sockets): one token bucket, the per-client table
 * with a hot client and with 100k rotating addresses (LRU of 10k: every take evicts), and an AIMD
 * acquire + release. Run: `npx vitest bench --run --project limits`.
 */
import { bench, describe } from 'vitest';
import { aimdLimit, clientBuckets, tokenBucket } from '../src/experimental.js';

const bucket = tokenBucket({ rps: 1e9, burst: 1e6 });
const hot = clientBuckets({ rps: 1e9, burst: 1e6, maxClients: 10_000 });
const churn = clientBuckets({ rps: 1, burst: 1, maxClients: 10_000 });
const addresses = Array.from(
  { length: 100_000 },
  (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
);
let next = 0;
const limit = aimdLimit({ initialLimit: 1000 });
const sample = { latencyMs: 1, dropped: false };

describe('limits', () => {
  bench('tokenBucket.take', () => {
    bucket.take();
  });
  bench('clientBuckets.take, one client', () => {
    hot.take('10.0.0.1');
  });
  bench('clientBuckets.take, 100k addresses over 10k slots', () => {
    churn.take(addresses[next]!);
    next = (next + 1) % addresses.length;
  });
  bench('aimdLimit acquire + release', () => {
    limit.acquire()?.(sample);
  });
});
