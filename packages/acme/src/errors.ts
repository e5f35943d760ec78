/**
 * Typed errors of `@switchyard/acme`. Each names the certificate name (`host`) or the option it
 * is about, so a status page or a log line tells the operator which name failed and why.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/acme`. */
export type AcmeErrorCode =
  | 'SY_ERR_ACME_INVALID_OPTIONS'
  | 'SY_ERR_ACME_ORDER_FAILED'
  | 'SY_ERR_ACME_STORAGE';

/**
 * An ACME problem. `host` is the certificate name involved, when there is one.
 * - `SY_ERR_ACME_INVALID_OPTIONS`: a manager option is wrong (the message names the field).
 * - `SY_ERR_ACME_ORDER_FAILED`: the CA refused or failed an order; `cause` is the CA's error.
 * - `SY_ERR_ACME_STORAGE`: reading or writing the certificate store failed.
 */
export class AcmeError extends SwitchyardError<AcmeErrorCode> {
  /** The certificate name the error is about, when there is one. */
  readonly host: string | undefined;

  constructor(code: AcmeErrorCode, message: string, options?: { cause?: unknown; host?: string }) {
    super(code, message, options);
    this.host = options?.host;
  }
}
