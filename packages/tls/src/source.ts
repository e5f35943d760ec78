/**
 * Certificate sources held in memory (`staticCertificateSource`) or shared between observers
 * (`sharedCertificateSource`). The `CertificateSource` seam itself is defined in core, where
 * `@switchyard/k8s`'s Secret source implements it too; it is re-exported here.
 */
import type {
  CertificateEntry,
  CertificatePair,
  CertificateSnapshot,
  CertificateSource,
  Dispose,
} from '@switchyard/core';

export type { CertificateEntry, CertificatePair, CertificateSnapshot, CertificateSource };

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
