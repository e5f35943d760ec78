/**
 * A token bucket (the classic leaky-bucket-as-meter, e.g. RFC 2697's single-rate meter without
 * colours): `burst` tokens, refilled continuously at `rps` per second; a request takes one. Time is
 * the injected clock's monotonic nanoseconds, read only when a request arrives, so an idle bucket
 * costs nothing. In any window of `t` seconds at most `burst + rps·t` requests are admitted.
 */
import { type Clock, systemClock } from '@switchyard/core';
import { requireOption } from './errors.js';

/** Rate and depth of a bucket. */
export interface TokenBucketOptions {
  /** Sustained rate, tokens (requests) per second; > 0. */
  readonly rps: number;
  /** Depth: the most requests admitted at once after an idle period; an integer ≥ 1. */
  readonly burst: number;
}

/** One bucket. Starts full. */
export interface TokenBucket {
  /**
   * Takes a token if one is there. Returns 0 when admitted, else the milliseconds until a token
   * will be there (> 0): what `Retry-After` is computed from.
   */
  take(): number;
  /** Tokens in the bucket now (fractional while refilling), for gauges. */
  tokens(): number;
}

/** Checks `rps` and `burst`, naming `where` (e.g. `limits.server`) in the error. */
export function checkBucketOptions(options: TokenBucketOptions, where: string): void {
  requireOption(
    typeof options.rps === 'number' && Number.isFinite(options.rps) && options.rps > 0,
    `${where}.rps must be a finite number > 0`,
    options.rps,
  );
  requireOption(
    Number.isInteger(options.burst) && options.burst >= 1,
    `${where}.burst must be an integer >= 1`,
    options.burst,
  );
}

/**
 * The state of a bucket as two numbers, so that many buckets (one per client) stay small. Exposed
 * for the per-client table; everything else uses {@link tokenBucket}.
 */
export interface BucketState {
  tokens: number;
  /** Monotonic ns of the last refill. */
  at: bigint;
}

/** Refills `state` to `now` and takes one token; see {@link TokenBucket.take}. */
export function takeFrom(state: BucketState, options: TokenBucketOptions, now: bigint): number {
  refill(state, options, now);
  if (state.tokens >= 1) {
    state.tokens -= 1;
    return 0;
  }
  return ((1 - state.tokens) / options.rps) * 1000;
}

/** Refills `state` to `now` (never beyond `burst`; a clock going backwards adds nothing). */
export function refill(state: BucketState, options: TokenBucketOptions, now: bigint): void {
  if (now <= state.at) return;
  const seconds = Number(now - state.at) / 1e9;
  state.tokens = Math.min(options.burst, state.tokens + seconds * options.rps);
  state.at = now;
}

/** A full bucket of `burst` tokens refilled at `rps`. Throws `SY_ERR_LIMITS_INVALID_OPTIONS`. */
export function tokenBucket(
  options: TokenBucketOptions & { readonly clock?: Clock },
  where = 'tokenBucket',
): TokenBucket {
  checkBucketOptions(options, where);
  const clock = options.clock ?? systemClock;
  const rate = { rps: options.rps, burst: options.burst };
  const state: BucketState = { tokens: rate.burst, at: clock.nanoTime() };
  return {
    take: () => takeFrom(state, rate, clock.nanoTime()),
    tokens: () => {
      refill(state, rate, clock.nanoTime());
      return state.tokens;
    },
  };
}

/** `Retry-After` in whole seconds for a wait of `ms`: rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
