import { describe, expect, it } from 'vitest';
import { renewalTime, retryDelay } from './schedule.js';

describe('renewalTime', () => {
  it('is two thirds into the lifetime, minus up to 5% of it at random', () => {
    const day = 86_400_000;
    expect(renewalTime(0, 90 * day, () => 0)).toBe(60 * day);
    expect(renewalTime(0, 90 * day, () => 0.999999)).toBe(Math.floor(60 * day - 0.999999 * 0.05 * 90 * day));
    expect(renewalTime(1000, 2000, () => 0.5, { fraction: 0.5, jitterFraction: 0 })).toBe(1500);
  });
});

describe('retryDelay', () => {
  it('doubles from initialMs up to maxMs, randomised within [d/2, d]', () => {
    const o = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, () => 1, o))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(retryDelay(3, () => 0, o)).toBe(200);
    expect(retryDelay(1, () => 1)).toBe(60_000);
    expect(retryDelay(10_000, () => 1)).toBe(6 * 3600_000);
  });
});
