/**
 * Backoff policies as data (what config says) and as infinite streams of delays (what failure
 * accrual and retries consume, one `next()` per attempt). The same `jittered` config means
 * "equal jitter" for failure accrual and "decorrelated jitter" for retries, as in Linkerd 1.
 *
 * Source: finagle `Backoff.equalJittered` / `decorrelatedJittered`; Marc Brooker, "Exponential
 * Backoff And Jitter", AWS Architecture Blog, 2015.
 */
import { assertNever, type Random } from '@switchyard/core';
import { requireOption } from './errors.js';

/** A backoff policy, by `kind` as in Linkerd config. Delays are milliseconds. */
export type Backoff =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'jittered'; readonly minMs: number; readonly maxMs: number };

/** An endless stream of delays in ms; every `next()` yields `{ done: false, value }`. */
export type BackoffStream = Iterator<number, never> & Iterable<number>;

/** Constructors for {@link Backoff} values. */
export const backoff = Object.freeze({
  /** The same delay every time (Linkerd `kind: constant`, `ms`). */
  constant(ms: number): Backoff {
    requireOption(Number.isFinite(ms) && ms >= 0, 'backoff.constant', 'ms must be >= 0', ms);
    return Object.freeze({ kind: 'constant', ms });
  },
  /** Jittered delays between `minMs` and `maxMs` (defaults 5000 and 300 000, Linkerd's failure-accrual default). */
  jittered(options: { readonly minMs?: number; readonly maxMs?: number } = {}): Backoff {
    const minMs = options.minMs ?? 5000;
    const maxMs = options.maxMs ?? 300_000;
    requireOption(minMs > 0 && maxMs >= minMs, 'backoff.jittered', 'needs 0 < minMs <= maxMs', options);
    return Object.freeze({ kind: 'jittered', minMs, maxMs });
  },
});

function stream(nextValue: () => number): BackoffStream {
  const it: BackoffStream = {
    next: () => ({ done: false, value: nextValue() }),
    [Symbol.iterator]: () => it,
  };
  return it;
}

/** `ms`, forever. */
export function constantStream(ms: number): BackoffStream {
  return stream(() => ms);
}

/**
 * Equal jitter: first `minMs`, then for attempt n ≥ 1 half of the exponential growth plus a
 * uniform jitter of up to that half: `min(maxMs, h + U[0, h))` with `h = minMs · 2^(n-1)`.
 */
export function equalJittered(minMs: number, maxMs: number, random: Random): BackoffStream {
  let attempt = 0;
  return stream(() => {
    if (attempt === 0) {
      attempt = 1;
      return minMs;
    }
    const half = minMs * 2 ** Math.min(attempt - 1, 62);
    attempt++;
    return Math.min(maxMs, half + random() * half);
  });
}

/**
 * Decorrelated jitter: first `minMs`, then `min(maxMs, minMs + U[0, |3·prev − minMs|))`, so
 * each delay depends on the previous one rather than on the attempt count.
 */
export function decorrelatedJittered(minMs: number, maxMs: number, random: Random): BackoffStream {
  let prev = -1;
  return stream(() => {
    const next = prev < 0 ? minMs : Math.min(maxMs, minMs + random() * Math.abs(prev * 3 - minMs));
    prev = next;
    return next;
  });
}

/** The stream failure accrual uses for `policy`: `jittered` means equal jitter. */
export function accrualBackoff(policy: Backoff, random: Random): BackoffStream {
  switch (policy.kind) {
    case 'constant':
      return constantStream(policy.ms);
    case 'jittered':
      return equalJittered(policy.minMs, policy.maxMs, random);
    default:
      return assertNever(policy);
  }
}

/** The stream retries use for `policy`: `jittered` means decorrelated jitter. Default backoff is `constant(0)`. */
export function retryBackoff(policy: Backoff, random: Random): BackoffStream {
  switch (policy.kind) {
    case 'constant':
      return constantStream(policy.ms);
    case 'jittered':
      return decorrelatedJittered(policy.minMs, policy.maxMs, random);
    default:
      return assertNever(policy);
  }
}
