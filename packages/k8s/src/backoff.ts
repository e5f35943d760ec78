/**
 * Jittered exponential backoff ("equal jitter": half fixed, half random) so that many informers
 * failing together do not retry in lockstep against a recovering API server. See the AWS
 * Architecture Blog, "Exponential Backoff and Jitter" (Brooker, 2015).
 */
import type { Random } from '@switchyard/core';

/** Backoff bounds in ms. Defaults: `initialMs` 250, `maxMs` 30 000. */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
}

/** Delay before retry number `attempt` (0-based): uniform in [d/2, d) with d = min(max, initial·2^attempt). */
export function backoffDelay(attempt: number, random: Random, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const d = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return d / 2 + (random() * d) / 2;
}
