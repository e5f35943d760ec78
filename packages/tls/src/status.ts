/**
 * What the terminator reports about its certificates: whether it can serve, and the state of every
 * certificate id. Plain data, shown by the admin page and by tests.
 */

/** Error summary carried in status entries. */
export interface TlsStatusError {
  readonly code: string;
  readonly message: string;
}

/** Facts about a served certificate, shown in status. */
export interface ServedCertificateInfo {
  readonly id: string;
  readonly names: readonly string[];
  readonly subject: string;
  readonly notAfter: number;
  readonly fingerprint256: string;
  readonly isDefault: boolean;
  readonly expiresSoon: boolean;
}

/**
 * The state of one certificate id.
 * - `serving`: its latest material is valid and in use.
 * - `stale`: its latest material was rejected (`error`); the previous good certificate still serves.
 * - `rejected`: nothing valid has ever been loaded for it; it is not served.
 */
export type CertificateStatus =
  | ({ readonly kind: 'serving' } & ServedCertificateInfo)
  | ({ readonly kind: 'stale'; readonly error: TlsStatusError } & ServedCertificateInfo)
  | { readonly kind: 'rejected'; readonly id: string; readonly error: TlsStatusError };

/** A snapshot of the terminator: whether it can serve, and every certificate id in order. */
export interface TlsStatus {
  /** Every source has reported and at least one certificate is served. */
  readonly ready: boolean;
  readonly certificates: readonly CertificateStatus[];
}
