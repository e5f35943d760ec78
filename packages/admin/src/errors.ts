/**
 * Errors of the admin server. Bad operator input (a dtab that does not parse, an
 * unknown router) becomes a 400/404 whose body is the error message, so the message names the
 * parameter and, for dtabs, the line and column.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/admin`. */
export type AdminErrorCode =
  | 'SY_ERR_ADMIN_BAD_REQUEST'
  | 'SY_ERR_ADMIN_UNKNOWN_ROUTER'
  | 'SY_ERR_ADMIN_LIFECYCLE'
  | 'SY_ERR_ADMIN_DELEGATE_FAILED'
  | 'SY_ERR_ADMIN_CONFIG';

/** An error raised by `@switchyard/admin`; `code` says which. */
export class AdminError extends SwitchyardError<AdminErrorCode> {}

/** A query parameter or request body the admin cannot use (answered with 400). */
export function badRequest(message: string, cause?: unknown): AdminError {
  return new AdminError('SY_ERR_ADMIN_BAD_REQUEST', message, cause === undefined ? undefined : { cause });
}
