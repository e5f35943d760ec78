/**
 * Service and client policies resolved per name: the router-wide `service`/`client` options with
 * the fields a per-name policy (`servicePolicy`, `clientPolicy`, Linkerd 1's `io.l5d.static`
 * configs) returns laid over them. Resolved once, when a service record or a client is created,
 * so the request path reads plain fields.
 *
 * Serves two levels (the service policy is the path stack's, the client policy the client
 * stack's; router.ts calls both): it sits in client/, the lower one, which both may import.
 */
import {
  type BalancerFactory,
  classifiers,
  type RequeueBudget,
  requeueBudget,
  retryBudget,
} from '@switchyard/balancers';
import type { Clock } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import type { ClientPoolOptions } from '../endpoint.js';
import type { RouterClientOptions, RouterServiceOptions } from '../policy-options.js';
import type { ServicePolicy } from '../service.js';

/** The client policy of one bound name. */
export interface ClientPolicy {
  readonly pool: ClientPoolOptions;
  readonly balancer: BalancerFactory;
  readonly attemptTimeoutMs: number | undefined;
  readonly requeueBudget: RequeueBudget;
}

/** The service policy of `logical`: `service` with `servicePolicy(logical)` laid over it. */
export function resolveServicePolicy(
  base: RouterServiceOptions | undefined,
  perName: ((logical: Path) => RouterServiceOptions) | undefined,
  logical: Path,
  clock: Clock,
): ServicePolicy {
  const o: RouterServiceOptions = perName === undefined ? (base ?? {}) : { ...base, ...perName(logical) };
  const classifier = o.responseClassifier ?? classifiers.nonRetryable5XX;
  return {
    classifier,
    mayRetry: classifier !== classifiers.nonRetryable5XX && classifier !== classifiers.allSuccessful,
    totalTimeoutMs: o.totalTimeoutMs,
    retryBufferBytes: o.retryBufferBytes ?? 65_536,
    newRetryBackoff: o.retryBackoff,
    budget: (o.retryBudget ?? (() => retryBudget({ clock })))(),
  };
}

/** The client policy of `bound`: `client` with `clientPolicy(bound)` laid over it. */
export function resolveClientPolicy(
  base: RouterClientOptions | undefined,
  perName: ((bound: Path) => RouterClientOptions) | undefined,
  bound: Path,
  defaultBalancer: BalancerFactory,
  clock: Clock,
): ClientPolicy {
  const o: RouterClientOptions = perName === undefined ? (base ?? {}) : { ...base, ...perName(bound) };
  const { balancer, requestAttemptTimeoutMs, requeueBudget: newRequeueBudget, ...pool } = o;
  return {
    pool,
    balancer: balancer ?? defaultBalancer,
    attemptTimeoutMs: requestAttemptTimeoutMs,
    requeueBudget: (newRequeueBudget ?? (() => requeueBudget({ clock })))(),
  };
}
