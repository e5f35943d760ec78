/**
 * When to renew and when to retry: renewal at a fraction (default two thirds) of the lifetime
 * minus a random jitter, so a fleet started together does not order together; retries after CA
 * errors back off exponentially with jitter (full jitter, as in AWS's "Exponential Backoff and
 * Jitter").
 */
import type { Random } from '@switchyard/core';

/** Renewal timing. */
export interface RenewalOptions {
  /** Fraction of the lifetime after `notBefore` at which to renew. Default 2/3. */
  readonly fraction?: number;
  /** Up to this fraction of the lifetime is subtracted at random. Default 0.05. */
  readonly jitterFraction?: number;
}

/** Retry timing after a failed order. */
export interface RetryOptions {
  /** First retry delay, ms. Default 60 000. */
  readonly initialMs?: number;
  /** Largest retry delay, ms. Default 6 hours. */
  readonly maxMs?: number;
}

/** Epoch ms at which a certificate valid over [`notBefore`, `notAfter`] should be renewed. */
export function renewalTime(
  notBefore: number,
  notAfter: number,
  random: Random,
  o: RenewalOptions = {},
): number {
  const lifetime = Math.max(0, notAfter - notBefore);
  const fraction = o.fraction ?? 2 / 3;
  const jitter = o.jitterFraction ?? 0.05;
  return Math.floor(notBefore + lifetime * fraction - random() * jitter * lifetime);
}

/**
 * Delay in ms before retry number `failures` (1 = after the first failure): uniformly random in
 * [d/2, d] where d = min(maxMs, initialMs · 2^(failures−1)).
 */
export function retryDelay(failures: number, random: Random, o: RetryOptions = {}): number {
  const initial = o.initialMs ?? 60_000;
  const max = o.maxMs ?? 6 * 3600_000;
  const d = Math.min(max, initial * 2 ** Math.min(52, Math.max(0, failures - 1)));
  return Math.floor(d / 2 + (random() * d) / 2);
}
