import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from './index.js';
import { emptyRetryBudget, requeueBudget, retryBudget } from './retry-budget.js';

describe('retryBudget (finagle TokenRetryBudget)', () => {
  it('starts with the reserve minRetriesPerSec × ttlSecs and earns percentCanRetry per deposit', () => {
    const clock = fakeClock(5_000);
    const b = retryBudget({ clock });
    expect(b.balance).toBe(100);
    for (let i = 0; i < 100; i++) expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(false);
    expect(b.balance).toBe(0);
    for (let i = 0; i < 4; i++) b.deposit();
    expect(b.tryWithdraw()).toBe(false);
    b.deposit();
    expect(b.balance).toBe(1);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(false);
  });

  it('lets deposits and withdrawals expire after ttlSecs', () => {
    const clock = fakeClock();
    const b = retryBudget({ minRetriesPerSec: 0, percentCanRetry: 1, ttlSecs: 2, clock });
    b.deposit();
    b.deposit();
    expect(b.balance).toBe(2);
    clock.advance(2_100);
    expect(b.balance).toBe(0);
    const r = retryBudget({ minRetriesPerSec: 1, percentCanRetry: 0, ttlSecs: 2, clock });
    expect(r.balance).toBe(2);
    expect(r.tryWithdraw() && r.tryWithdraw()).toBe(true);
    expect(r.tryWithdraw()).toBe(false);
    // The withdrawals age out of the window, so the reserve is available again.
    clock.advance(2_100);
    expect(r.balance).toBe(2);
  });

  it('never lets retries exceed 20% of requests + 10/s (all requests failing, retrying greedily)', () => {
    const clock = fakeClock();
    const b = retryBudget({ clock });
    const random = mulberry32(1);
    let requests = 0;
    let retries = 0;
    const seconds = 120;
    const perWindow: number[] = [];
    for (let ms = 0; ms < seconds * 1000; ms += 5) {
      clock.advance(ms - clock.now());
      // ~100 rps with jitter; each request fails and retries up to 3 times if the budget allows.
      if (random() < 0.5) {
        requests++;
        b.deposit();
        for (let k = 0; k < 3 && b.tryWithdraw(); k++) retries++;
      }
      if (ms % 10_000 === 9_995) perWindow.push(retries - perWindow.reduce((a, x) => a + x, 0));
    }
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 10 * (seconds + 10));
    // And the budget is actually used, not just refused: close to the bound in steady state.
    expect(retries).toBeGreaterThan(0.2 * requests + 10 * seconds * 0.8);
    // Per 10 s window (after the first, which spends the initial reserve): ≤ 20% of ~1000 + 100.
    for (const w of perWindow.slice(1)) expect(w).toBeLessThanOrEqual(0.2 * 1100 + 100);
  });

  it('validates options like finagle', () => {
    for (const bad of [
      { ttlSecs: 0 },
      { ttlSecs: 61 },
      { minRetriesPerSec: -1 },
      { percentCanRetry: -0.1 },
      { percentCanRetry: 1001 },
    ]) {
      expect(() => retryBudget(bad)).toThrowError(
        expect.objectContaining({ code: 'SY_ERR_BALANCER_INVALID_OPTION' }),
      );
    }
    expect(retryBudget({ minRetriesPerSec: 0, percentCanRetry: 0 })).toBe(emptyRetryBudget);
    expect(emptyRetryBudget.tryWithdraw()).toBe(false);
  });
});

describe('requeueBudget', () => {
  it('caps requeues per request and draws from the shared budget', () => {
    const clock = fakeClock();
    const b = requeueBudget({
      clock,
      maxRequeuesPerRequest: 2,
      minRetriesPerSec: 1,
      ttlSecs: 3,
      percentCanRetry: 0,
    });
    expect(b.tryRequeue(0)).toBe(true);
    expect(b.tryRequeue(1)).toBe(true);
    expect(b.tryRequeue(2)).toBe(false);
    expect(b.balance).toBe(1);
    expect(b.tryRequeue(0)).toBe(true);
    expect(b.tryRequeue(0)).toBe(false);
  });
});
