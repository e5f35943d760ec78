import { describe, expect, it } from 'vitest';
import {
  accrualBackoff,
  backoff,
  constantStream,
  decorrelatedJittered,
  equalJittered,
  mulberry32,
  retryBackoff,
} from './index.js';

const take = (it: Iterator<number>, n: number) => Array.from({ length: n }, () => it.next().value as number);

describe('backoff', () => {
  it('constant repeats its delay forever', () => {
    expect(take(constantStream(250), 4)).toEqual([250, 250, 250, 250]);
    expect([...take(accrualBackoff(backoff.constant(7), Math.random), 2)]).toEqual([7, 7]);
  });

  it('equal jitter: min first, then [h, 2h) with h doubling, capped at max', () => {
    const d = take(equalJittered(5000, 300_000, mulberry32(3)), 12);
    expect(d[0]).toBe(5000);
    for (let n = 1; n < d.length; n++) {
      const h = 5000 * 2 ** (n - 1);
      expect(d[n]).toBeGreaterThanOrEqual(Math.min(h, 300_000));
      expect(d[n]).toBeLessThanOrEqual(Math.min(2 * h, 300_000));
    }
    expect(d.at(-1)).toBe(300_000);
  });

  it('decorrelated jitter stays within [min, max] and depends on the previous delay', () => {
    const d = take(decorrelatedJittered(10, 1000, mulberry32(4)), 200);
    expect(d[0]).toBe(10);
    for (let n = 1; n < d.length; n++) {
      expect(d[n]).toBeGreaterThanOrEqual(10);
      expect(d[n]).toBeLessThanOrEqual(Math.min(1000, 10 + Math.abs(3 * d[n - 1]! - 10)));
    }
    expect(Math.max(...d)).toBeGreaterThan(500);
  });

  it('jittered means equal jitter for accrual and decorrelated jitter for retries; defaults 5 s–300 s', () => {
    const j = backoff.jittered();
    expect(j).toEqual({ kind: 'jittered', minMs: 5000, maxMs: 300_000 });
    expect(take(accrualBackoff(j, mulberry32(1)), 3)).toEqual(
      take(equalJittered(5000, 300_000, mulberry32(1)), 3),
    );
    expect(take(retryBackoff(j, mulberry32(1)), 3)).toEqual(
      take(decorrelatedJittered(5000, 300_000, mulberry32(1)), 3),
    );
    expect(() => backoff.jittered({ minMs: 10, maxMs: 5 })).toThrowError(
      expect.objectContaining({ code: 'SY_ERR_BALANCER_INVALID_OPTION' }),
    );
  });
});
