/**
 * @packageDocumentation
 * Rate limiting and load shedding as router layers: token buckets per listening server, per client
 * address (bounded LRU) and per identified destination prefix, answering 429 with `Retry-After`;
 * an adaptive (AIMD) concurrency limit per destination, answering 503. Counters go through core's
 * `Stats`. The layers plug into `@switchyard/router`'s `layers: { server, path }`.
 */
export type { AimdOptions } from './aimd.js';
export type { AdaptiveConcurrencyOptions } from './concurrency-layer.js';
export { adaptiveConcurrencyLayer } from './concurrency-layer.js';
export type { DestinationLimit, DestinationRateLimitOptions } from './destination-limits.js';
export { destinationRateLimitLayer } from './destination-limits.js';
export type { LimitAnswerCode, LimitsErrorCode } from './errors.js';
export { InvalidLimitsOptionsError, LimitExceededError } from './errors.js';
export type { ClientRateLimitOptions, ServerRateLimitOptions } from './server-limits.js';
export { clientRateLimitLayer, serverRateLimitLayer } from './server-limits.js';
export type {
  BoundLike,
  EvictionLike,
  InboundLike,
  LimitedExchange,
  LimitPathLayer,
  LimitServerLayer,
} from './stage.js';
export type { TokenBucketOptions } from './token-bucket.js';
