/**
 * @packageDocumentation `@switchyard/limits/experimental`: the parts the limit layers are built
 * from — a token bucket, a bounded set of per-client buckets, an AIMD concurrency limit and the
 * `Retry-After` rounding — for building a limit of one's own. Not covered by semver; the layers
 * in the root entry are the stable API.
 */
export type { AimdLimit, AimdSample } from './aimd.js';
export { aimdLimit } from './aimd.js';
export type { ClientBuckets, ClientBucketsOptions } from './client-buckets.js';
export { clientBuckets } from './client-buckets.js';
export type { TokenBucket } from './token-bucket.js';
export { retryAfterSeconds, tokenBucket } from './token-bucket.js';
