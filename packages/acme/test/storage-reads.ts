/**
 * A certificate store whose reads a test can wait for. With a fake clock, a due timer starts the
 * manager's check at once and the check reads the store (real file I/O); the test then waits for
 * those reads to finish instead of sleeping for a while and hoping they did.
 */
import { eventually } from '@switchyard/testkit';
import type { CertificateStorage } from '../src/index.js';

/** A store and a wait for its reads. */
export interface TrackedStorage {
  /** `inner` with every `loadCertificate` counted while in flight; no optional method added. */
  readonly storage: CertificateStorage;
  /**
   * Resolves once no `loadCertificate` is in flight, checked from a later macrotask so that what
   * the manager does right after a read (adopt, publish, schedule the next check) has run too.
   */
  settled(): Promise<void>;
}

/** Wraps `inner` (a store without `watch` or `requestCertificate`) to count its reads. */
export function trackStorageReads(inner: CertificateStorage): TrackedStorage {
  let reads = 0;
  const storage: CertificateStorage = {
    description: inner.description,
    loadCertificate(host) {
      reads++;
      return inner.loadCertificate(host).finally(() => {
        reads--;
      });
    },
    saveCertificate: (cert) => inner.saveCertificate(cert),
    loadAccountKey: (account) => inner.loadAccountKey(account),
    saveAccountKey: (account, keyPem) => inner.saveAccountKey(account, keyPem),
  };
  return {
    storage,
    async settled() {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await eventually(() => reads === 0, { what: () => `${reads} storage reads to finish` });
    },
  };
}
