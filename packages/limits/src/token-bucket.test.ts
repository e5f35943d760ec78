import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { InvalidLimitsOptionsError } from './errors.js';
import { retryAfterSeconds, tokenBucket } from './token-bucket.js';

describe('tokenBucket', () => {
  it('admits a burst, then one request per 1/rps, and says how long to wait', () => {
    const clock = fakeClock();
    const bucket = tokenBucket({ rps: 2, burst: 3, clock });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBeCloseTo(500, 6);
    clock.advance(250);
    expect(bucket.take()).toBeCloseTo(250, 6);
    clock.advance(250);
    expect(bucket.take()).toBe(0);
    expect(bucket.tokens()).toBeCloseTo(0, 6);
  });

  it('never holds more than burst tokens after an idle period', () => {
    const clock = fakeClock();
    const bucket = tokenBucket({ rps: 100, burst: 5, clock });
    clock.advance(60_000);
    expect(bucket.tokens()).toBe(5);
    const admitted = Array.from({ length: 8 }, () => bucket.take()).filter((w) => w === 0);
    expect(admitted).toHaveLength(5);
  });

  it('refuses options that cannot make a bucket, naming the field', () => {
    expect(() => tokenBucket({ rps: 0, burst: 1 }, 'limits.server')).toThrow(
      /limits\.server\.rps must be a finite number > 0; got 0/,
    );
    expect(() => tokenBucket({ rps: 1, burst: 0.5 }, 'limits.server')).toThrow(InvalidLimitsOptionsError);
    expect(() => tokenBucket({ rps: 1, burst: 0.5 }, 'limits.server')).toThrow(/limits\.server\.burst/);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(0.2)).toBe(1);
  });
});
