/**
 * Retry and requeue budgets: a shared allowance that keeps retries a bounded fraction of real
 * traffic, so a failing backend is not hit by an amplified retry storm. Every request deposits;
 * every retry withdraws; deposits expire after `ttlSecs`; a reserve lets quiet clients retry a
 * little. Source: finagle `RetryBudget` (TokenRetryBudget over a leaky TokenBucket) and the
 * "Retry budgets" post (finagle.github.io/blog/2016/02/08/retry-budgets).
 */
import type { Clock } from '@switchyard/core';
import { systemClock } from '@switchyard/core';
import { requireOption } from './errors.js';
import { createWindowedAdder } from './windowed-adder.js';

/** A budget for retrying requests, shared by all requests of one service (or client). */
export interface RetryBudget {
  /** Credit for one request sent; call once per original request. */
  deposit(): void;
  /** True, and debits one retry, if a retry is allowed now; false leaves the balance untouched. */
  tryWithdraw(): boolean;
  /** Retries that could be made right now. */
  readonly balance: number;
}

/** Options of {@link retryBudget}. Linkerd `service.retries.budget`. */
export interface RetryBudgetOptions {
  /** Retries allowed per second regardless of traffic (default 10); ≥ 0. */
  readonly minRetriesPerSec?: number;
  /** Retries allowed per deposited request (default 0.2); 0…1000. */
  readonly percentCanRetry?: number;
  /** Lifetime of a deposit, seconds (default 10); 1…60. */
  readonly ttlSecs?: number;
  /** Time source; default the system clock. */
  readonly clock?: Clock;
}

/** Deposits are scaled so that fractional `percentCanRetry` works with integer tokens (finagle). */
const SCALE = 1000;

/** A budget that never allows a retry. */
export const emptyRetryBudget: RetryBudget = Object.freeze({
  deposit() {},
  tryWithdraw: () => false,
  balance: 0,
});

/**
 * A token-bucket retry budget. Each deposit adds 1000 tokens; a retry costs `1000 / percentCanRetry`;
 * a fixed reserve of `minRetriesPerSec · ttlSecs` retries' worth of tokens is always counted. Both
 * deposits and withdrawals leave the window after `ttlSecs` (10 slices), so over any `ttlSecs`
 * window retries ≤ `percentCanRetry` × requests + `minRetriesPerSec` × `ttlSecs`.
 * With both `minRetriesPerSec` and `percentCanRetry` 0 it is {@link emptyRetryBudget}.
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const minRetriesPerSec = options.minRetriesPerSec ?? 10;
  const percentCanRetry = options.percentCanRetry ?? 0.2;
  const ttlSecs = options.ttlSecs ?? 10;
  requireOption(ttlSecs >= 1 && ttlSecs <= 60, 'retryBudget', 'ttlSecs must be in [1, 60]', ttlSecs);
  requireOption(minRetriesPerSec >= 0, 'retryBudget', 'minRetriesPerSec must be >= 0', minRetriesPerSec);
  requireOption(
    percentCanRetry >= 0 && percentCanRetry <= SCALE,
    'retryBudget',
    `percentCanRetry must be in [0, ${SCALE}]`,
    percentCanRetry,
  );
  if (minRetriesPerSec === 0 && percentCanRetry === 0) return emptyRetryBudget;
  const clock = options.clock ?? systemClock;

  // With no percentage, requests earn nothing and every retry costs one reserve token.
  const depositAmount = percentCanRetry === 0 ? 0 : SCALE;
  const withdrawAmount = percentCanRetry === 0 ? 1 : Math.floor(SCALE / percentCanRetry);
  const reserve = minRetriesPerSec * ttlSecs * withdrawAmount;
  const window = createWindowedAdder(ttlSecs * 1000, 10, () => clock.now());
  const count = () => window.sum() + reserve;

  return {
    deposit() {
      if (depositAmount > 0) window.add(depositAmount);
    },
    tryWithdraw() {
      if (count() < withdrawAmount) return false;
      window.add(-withdrawAmount);
      return true;
    },
    get balance() {
      return Math.floor(count() / withdrawAmount);
    },
  };
}

/** Options of {@link requeueBudget}. Linkerd `client.requeueBudget` plus finagle's per-request cap. */
export interface RequeueBudgetOptions extends RetryBudgetOptions {
  /** Most requeues of a single request (default 25, finagle `Requeues`). */
  readonly maxRequeuesPerRequest?: number;
}

/** A retry budget for connection-level failures that are always safe to repeat (nothing was written). */
export interface RequeueBudget extends RetryBudget {
  readonly maxRequeuesPerRequest: number;
  /** True, and debits the budget, if a request already requeued `requeued` times may be requeued again. */
  tryRequeue(requeued: number): boolean;
}

/**
 * A per-client budget for requeues: immediate re-sends of requests that failed before anything
 * reached the endpoint (connection refused, pool closed). Same token bucket as {@link retryBudget}
 * plus a per-request cap, so one request cannot drain the budget.
 */
export function requeueBudget(options: RequeueBudgetOptions = {}): RequeueBudget {
  const maxRequeuesPerRequest = options.maxRequeuesPerRequest ?? 25;
  requireOption(
    Number.isInteger(maxRequeuesPerRequest) && maxRequeuesPerRequest >= 0,
    'requeueBudget',
    'maxRequeuesPerRequest must be an integer >= 0',
    maxRequeuesPerRequest,
  );
  const budget = retryBudget(options);
  return {
    deposit: () => budget.deposit(),
    tryWithdraw: () => budget.tryWithdraw(),
    get balance() {
      return budget.balance;
    },
    maxRequeuesPerRequest,
    tryRequeue: (requeued) => requeued < maxRequeuesPerRequest && budget.tryWithdraw(),
  };
}
