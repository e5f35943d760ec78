/**
 * The per-name policy options of `createRouter` (Linkerd's `service` and `client`), apart from
 * the rest of the options so the policy resolver can read them without importing the router's
 * whole option set (which imports the binding cache, which imports the policies).
 */
import type { BalancerFactory, RequeueBudget, ResponseClassifier, RetryBudget } from '@switchyard/balancers';
import type { ClientPoolOptions } from './endpoint.js';

/** Service-level policy (Linkerd `service`): per logical name. */
export interface RouterServiceOptions {
  /** Time until response headers for the whole request, retries included, ms. Default none. */
  readonly totalTimeoutMs?: number;
  /** Classifies responses for stats, failure accrual and retries. Default `classifiers.nonRetryable5XX`. */
  readonly responseClassifier?: ResponseClassifier;
  /** Creates the retry budget of one service (one per logical name). Default `retryBudget()`. */
  readonly retryBudget?: () => RetryBudget;
  /**
   * Delays between classifier-driven retries of one request, ms: called once per request that
   * retries, each `next()` is the wait before the next retry (e.g. `retryBackoff(policy, random)`
   * from `@switchyard/balancers`). Default none: retry at once, as Linkerd's default. Requeues of
   * connection failures never wait.
   */
  readonly retryBackoff?: () => Iterator<number>;
  /**
   * Request bodies up to this many bytes (with a Content-Length) are read before the first attempt
   * so they can be re-sent; larger or chunked bodies stream and are never retried. Default 65536.
   */
  readonly retryBufferBytes?: number;
}

/** Client-level policy (Linkerd `client`): per bound name. */
export interface RouterClientOptions extends ClientPoolOptions {
  /**
   * Balancer (and failure accrual) of the client. Default `RouterOptions.balancer`; set here
   * through `clientPolicy` to give some bound names their own.
   */
  readonly balancer?: BalancerFactory;
  /** Time until response headers for one attempt, ms. Default none. */
  readonly requestAttemptTimeoutMs?: number;
  /** Creates the requeue budget of one client (connection failures re-sent at once). Default `requeueBudget()`. */
  readonly requeueBudget?: () => RequeueBudget;
}
