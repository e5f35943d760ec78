/**
 * The per-service record (Linkerd's service: one per logical name): stats, the retry budget and
 * the resolved service policy. Types only, shared by every level (the stage values, the runtime,
 * the binding cache), so it stays a shared leaf; `policy.ts` resolves the policy.
 */
import type { ResponseClassifier, RetryBudget } from '@switchyard/balancers';
import type { Counter, Histogram } from '@switchyard/core';

/** Per logical name: stats and the retry budget (Linkerd's budget is per service). */
export interface ServiceEntry {
  /** `Path.show(dst)`. */
  readonly name: string;
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  readonly retries: Counter;
  readonly budgetExhausted: Counter;
  readonly budget: RetryBudget;
  /** The name's service policy (`service` with `servicePolicy(name)` laid over it). */
  readonly policy: ServicePolicy;
}

/** The service policy of one logical name. */
export interface ServicePolicy {
  readonly classifier: ResponseClassifier;
  /** False when the classifier never answers `retryableFailure`: skips retry plumbing. */
  readonly mayRetry: boolean;
  readonly totalTimeoutMs: number | undefined;
  readonly retryBufferBytes: number;
  readonly newRetryBackoff: (() => Iterator<number>) | undefined;
  readonly budget: RetryBudget;
}
