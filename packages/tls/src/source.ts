/**
 * The seam between where certificates live and the TLS server that serves them. Files and
 * Kubernetes `kubernetes.io/tls` Secrets both implement `CertificateSource`; the server only sees
 * snapshots of PEM text, so this module needs nothing from Kubernetes.
 */
import type { Dispose } from '@switchyard/core';
import type { TlsError } from './errors.js';

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
  | { readonly kind: 'failed'; readonly id: string; readonly error: TlsError };

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

/** A source that always holds the same pairs; useful for tests and certificates built in memory. */
export function staticCertificateSource(pairs: readonly CertificatePair[]): CertificateSource {
  const snapshot: CertificateSnapshot = Object.freeze(
    pairs.map((pair) => Object.freeze({ kind: 'ok' as const, id: pair.id, pair })),
  );
  return Object.freeze({
    description: `static ${pairs.map((p) => p.id).join(', ')}`,
    observe(f: (snapshot: CertificateSnapshot) => void): Dispose {
      f(snapshot);
      return () => {};
    },
  });
}

/**
 * Shares one underlying watch between observers: the first observer starts it, the last one to
 * leave stops it, and late observers get the latest snapshot at once. Source implementations
 * (files here, Secrets in the Kubernetes integration) build on it so that N servers sharing a
 * source do not each poll the disk.
 *
 * `start(emit)` begins watching and returns its stop function.
 */
export function sharedCertificateSource(
  description: string,
  start: (emit: (snapshot: CertificateSnapshot) => void) => Dispose,
): CertificateSource {
  const observers = new Set<(snapshot: CertificateSnapshot) => void>();
  let latest: CertificateSnapshot | undefined;
  let stop: Dispose | undefined;
  const emit = (snapshot: CertificateSnapshot) => {
    if (stop === undefined && observers.size === 0) return;
    latest = snapshot;
    for (const f of [...observers]) if (observers.has(f)) f(snapshot);
  };
  return Object.freeze({
    description,
    observe(f: (snapshot: CertificateSnapshot) => void): Dispose {
      // Wrap so the same function can observe twice and each dispose removes its own.
      const g = (s: CertificateSnapshot) => f(s);
      observers.add(g);
      if (observers.size === 1) {
        latest = undefined;
        stop = start(emit);
      } else if (latest !== undefined) {
        g(latest);
      }
      let disposed = false;
      return () => {
        if (disposed) return;
        disposed = true;
        observers.delete(g);
        if (observers.size === 0 && stop !== undefined) {
          const s = stop;
          stop = undefined;
          latest = undefined;
          s();
        }
      };
    },
  });
}
