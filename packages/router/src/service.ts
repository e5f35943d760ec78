/** The per-service record (Linkerd's service: one per logical name): stats and the retry budget. */
import type { RetryBudget } from '@switchyard/balancers';
import type { Counter, Histogram } from '@switchyard/core';
import type { ServicePolicy } from './policy.js';

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
