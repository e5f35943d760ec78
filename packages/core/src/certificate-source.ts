/**
 * The certificate seam: where certificates live (files, Kubernetes Secrets, memory) versus the
 * TLS server that serves them. It lives in core because both `@switchyard/tls` (which serves)
 * and `@switchyard/k8s` (which reads Secrets) implement or consume it, and neither may import
 * the other. Sources deliver snapshots of PEM text; the server validates them.
 */
import type { SwitchyardError } from './errors.js';
import type { Dispose } from './var.js';

/**
 * One certificate and its private key as PEM text.
 * `id` names where it came from and is stable across updates: the certificate file path for
 * files, `secret <namespace>/<name>` for Secrets. It appears in every error about this pair.
 */
export interface CertificatePair {
  readonly id: string;
  /** The leaf certificate, optionally followed by its intermediates (a "fullchain" file). */
  readonly certPem: string;
  /** The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted. */
  readonly keyPem: string;
  /** Intermediate certificates sent after the leaf (Linkerd's `intermediateCertsPath`). */
  readonly chainPem?: string;
}

/**
 * One entry of a source snapshot.
 * - `ok`: the source read the pair; the server still validates it.
 * - `failed`: the entry exists but could not be read now (file missing mid-update, Secret without
 *   `tls.key`). The server keeps serving the last good pair for this `id`.
 *
 * An id that is absent from a snapshot has been removed and stops being served.
 */
export type CertificateEntry =
  | { readonly kind: 'ok'; readonly id: string; readonly pair: CertificatePair }
  | { readonly kind: 'failed'; readonly id: string; readonly error: SwitchyardError };

/** The whole set of entries a source holds at one moment, in configuration order. */
export type CertificateSnapshot = readonly CertificateEntry[];

/**
 * Where certificates come from. `observe` delivers the current snapshot as soon as the source
 * knows it (possibly asynchronously, e.g. after the first file read or Secret list) and then every
 * changed snapshot. The watch behind it runs only while observed; the returned `Dispose` stops it.
 * Implementations never throw from `observe` and never call `f` after dispose.
 */
export interface CertificateSource {
  /** Human-readable description for status pages, e.g. `files /etc/tls/tls.crt`. */
  readonly description: string;
  observe(f: (snapshot: CertificateSnapshot) => void): Dispose;
}
