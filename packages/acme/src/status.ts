/**
 * The dashboard row of one managed certificate name: a small, stable shape the admin renders
 * (one row per name), derived from the manager's fuller `CertificateView`.
 */

/**
 * Where a name stands:
 * - `pending`: no certificate yet (the default certificate answers, or the handshake fails with
 *   `untilIssued: fail`);
 * - `valid`: a certificate is served and not yet due for renewal;
 * - `renewing`: a certificate is served, renewal is due or the last order failed;
 * - `expired`: the held certificate expired and none replaced it (it is no longer served);
 * - `retired`: no longer wanted (its Ingress or listener is gone): not renewed, served until `notAfter`.
 */
export type CertificateState = 'pending' | 'valid' | 'renewing' | 'expired' | 'retired';

/** One row of `AcmeManager.status()`. Times are epoch ms. */
export interface CertificateStatus {
  /** The certificate name (lowercase DNS name). */
  readonly name: string;
  /** The issuer's distinguished name of the held certificate. */
  readonly issuer?: string;
  readonly notAfter?: number;
  /** When this instance last ordered. */
  readonly lastAttemptAt?: number;
  /** The message of the last failed order or store read, cleared by a success. */
  readonly lastError?: string;
  readonly state: CertificateState;
}

/** The fields of the manager's `CertificateView` a row is made of (kept here: no import cycle). */
interface ViewFields {
  readonly host: string;
  readonly issuer?: string;
  readonly notAfter?: number;
  readonly lastAttempt?: number;
  readonly lastError?: { readonly message: string };
}

/** The row of `view` in `state`. */
export function certificateStatus(view: ViewFields, state: CertificateState): CertificateStatus {
  return {
    name: view.host,
    ...(view.issuer === undefined ? {} : { issuer: view.issuer }),
    ...(view.notAfter === undefined ? {} : { notAfter: view.notAfter }),
    ...(view.lastAttempt === undefined ? {} : { lastAttemptAt: view.lastAttempt }),
    ...(view.lastError === undefined ? {} : { lastError: view.lastError.message }),
    state,
  };
}
