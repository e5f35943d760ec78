/**
 * Typed errors of `@switchyard/balancers`. Balancers report "no endpoints" as `undefined` from
 * `pick()`, never as an error; these errors are for faults: bad options, bad weights, use after close.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/balancers`. */
export type BalancerErrorCode =
  | 'SY_ERR_BALANCER_INVALID_OPTION'
  | 'SY_ERR_BALANCER_INVALID_WEIGHT'
  | 'SY_ERR_BALANCER_CLOSED';

/** An error raised by a balancer, failure-accrual policy or retry budget. */
export class BalancerError extends SwitchyardError<BalancerErrorCode> {}

/** Throws `SY_ERR_BALANCER_INVALID_OPTION` unless `ok`; `what` names the option and its constraint. */
export function requireOption(ok: boolean, where: string, what: string, value: unknown): void {
  if (!ok) {
    throw new BalancerError(
      'SY_ERR_BALANCER_INVALID_OPTION',
      `${where}: option ${what}; got ${JSON.stringify(value)}`,
    );
  }
}
