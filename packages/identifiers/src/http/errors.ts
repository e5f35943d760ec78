/**
 * Errors raised while building HTTP identifiers. Identifying a request never throws: a request
 * an identifier cannot name is an `unidentified` value. Only bad options (a config fault) throw.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the HTTP identifiers. */
export type HttpIdentifierErrorCode = 'SY_ERR_IDENTIFIERS_CONFIG';

/**
 * An identifier option is invalid: `dstPrefix` or `path` is not a path, `segments` is not a
 * non-negative integer, `header` is empty. The message names the identifier kind and the field.
 */
export class IdentifierConfigError extends SwitchyardError<HttpIdentifierErrorCode> {
  /** The offending option, e.g. `segments`. */
  readonly field: string;

  constructor(kind: string, field: string, message: string, options?: { cause?: unknown }) {
    super('SY_ERR_IDENTIFIERS_CONFIG', `${kind}: ${field}: ${message}`, options);
    this.field = field;
  }
}
