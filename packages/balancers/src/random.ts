/**
 * Seedable randomness. Every balancer takes `random` as an option so that tests and simulations
 * are reproducible; this module provides a small, fast seeded generator for exactly that.
 */
import type { Random } from '@switchyard/core';

/**
 * A seeded PRNG (Tommy Ettinger's mulberry32): 32 bits of state, period 2^32, uniform in [0, 1).
 * Good enough for load-balancing decisions and simulations; not for cryptography.
 * The same `seed` always yields the same sequence.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) from `random`; `n` must be ≥ 1. */
export function randomInt(random: Random, n: number): number {
  const i = Math.floor(random() * n);
  // Guards against a `random` that returns exactly 1.
  return i < n ? i : n - 1;
}
