/**
 * Typed errors of `@switchyard/limits`. Limits answer over-limit requests themselves (429/503);
 * errors are for faults only: options that cannot make a limit.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/limits`. */
export type LimitsErrorCode = 'SY_ERR_LIMITS_INVALID_OPTIONS';

/** Options that cannot make a limit; the message names the option and what it must be. */
export class InvalidLimitsOptionsError extends SwitchyardError<LimitsErrorCode> {
  static readonly code = 'SY_ERR_LIMITS_INVALID_OPTIONS';
  constructor(message: string) {
    super('SY_ERR_LIMITS_INVALID_OPTIONS', message);
  }
}

/** Throws {@link InvalidLimitsOptionsError} unless `ok`; `what` names the option and its constraint. */
export function requireOption(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new InvalidLimitsOptionsError(`${what}; got ${JSON.stringify(value)}`);
}
