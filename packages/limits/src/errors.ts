/**
 * Typed errors of `@switchyard/limits`: options that cannot make a limit, and the coded local
 * answer a limit throws for an over-limit request (`SY_ERR_RATE_LIMITED` 429,
 * `SY_ERR_OVERLOADED` 503). The router's one error exit writes that answer (its status, its
 * `Retry-After`, `l5d-err` without clearContext, RESOURCE_EXHAUSTED on gRPC): the error has the
 * shape the router reads (`code`, `status`, `headers`), so this package needs no router import.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/limits`. */
export type LimitsErrorCode = 'SY_ERR_LIMITS_INVALID_OPTIONS' | LimitAnswerCode;

/** Codes of a limit's answer: a rate limit (429) or a concurrency limit shedding (503). */
export type LimitAnswerCode = 'SY_ERR_RATE_LIMITED' | 'SY_ERR_OVERLOADED';

/**
 * An over-limit request's answer, thrown by the limit layers: 429 (`SY_ERR_RATE_LIMITED`) or 503
 * (`SY_ERR_OVERLOADED`), with `retry-after` in whole seconds when set.
 */
export class LimitExceededError extends SwitchyardError<LimitAnswerCode> {
  readonly status: 429 | 503;
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(code: LimitAnswerCode, message: string, retryAfterS?: number) {
    super(code, message);
    this.status = code === 'SY_ERR_RATE_LIMITED' ? 429 : 503;
    this.headers = retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) };
  }
}

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
