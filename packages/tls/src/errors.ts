/**
 * Typed errors of `@switchyard/tls`. Every certificate problem names the place it came from
 * (a file path or `secret <ns>/<name>`) in `source`, so an operator reading a rejection knows
 * which file or Secret to fix without guessing.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/tls`. */
export type TlsErrorCode =
  | 'SY_ERR_TLS_READ_FAILED'
  | 'SY_ERR_TLS_BAD_CERT'
  | 'SY_ERR_TLS_BAD_KEY'
  | 'SY_ERR_TLS_KEY_MISMATCH'
  | 'SY_ERR_TLS_EXPIRED'
  | 'SY_ERR_TLS_NOT_YET_VALID'
  | 'SY_ERR_TLS_BAD_CA'
  | 'SY_ERR_TLS_NO_CERTIFICATE'
  | 'SY_ERR_TLS_INVALID_OPTIONS'
  | 'SY_ERR_TLS_PEER_NAME_MISMATCH'
  | 'SY_ERR_TLS_BAD_CLIENT_HELLO'
  | 'SY_ERR_TLS_CLIENT_HELLO_TIMEOUT';

/**
 * An error about TLS material or configuration.
 * `source` is the certificate entry's id (file path or `secret ns/name`) when one is involved.
 */
export class TlsError extends SwitchyardError<TlsErrorCode> {
  /** The file path or Secret (`secret ns/name`) the problem was found in, when there is one. */
  readonly source: string | undefined;

  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown; source?: string }) {
    super(code, message, options);
    this.source = options?.source;
  }
}
