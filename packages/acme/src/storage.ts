/**
 * Where issued certificates and the ACME account key are kept, behind one small interface so a
 * directory, a Kubernetes Secret or a database can hold them. Several managers may share one
 * store: the leader writes, the others read what it wrote.
 */
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispose } from '@switchyard/core';
import { AcmeError } from './errors.js';

/** One certificate as stored: PEM text of the full chain (leaf first) and its private key. */
export interface StoredCertificate {
  /** The certificate name (lowercase DNS name). */
  readonly host: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A change another instance made to a shared store: a certificate was written (`certificate`), or
 * a replica recorded that a handshake wanted a certificate for a name (`wanted`, see
 * {@link CertificateStorage.requestCertificate}).
 */
export interface StorageEvent {
  readonly kind: 'certificate' | 'wanted';
  /** The certificate name (lowercase DNS name). */
  readonly host: string;
}

/**
 * A certificate store. Methods reject with `AcmeError` (`SY_ERR_ACME_STORAGE`) on I/O faults;
 * "not there" is `undefined`, not an error. Writes must be atomic: a reader sees the old or the
 * new value, never half of one.
 */
export interface CertificateStorage {
  /** For status pages, e.g. `dir /var/lib/switchyard/acme`. */
  readonly description: string;
  loadCertificate(host: string): Promise<StoredCertificate | undefined>;
  saveCertificate(cert: StoredCertificate): Promise<void>;
  /** The account key (PEM) for the CA identified by `account` (derived from the directory URL). */
  loadAccountKey(account: string): Promise<string | undefined>;
  saveAccountKey(account: string, keyPem: string): Promise<void>;
  /**
   * Optional: calls `listener` for every certificate or wanted name written to the store (stored
   * ones first, as `added` replays), so replicas follow the leader's writes at once instead of
   * polling. Returns a dispose function. A store without it is polled.
   */
  watch?(listener: (event: StorageEvent) => void): Dispose;
  /**
   * Optional: records, for the replica that orders (the leader), that a handshake on this replica
   * wanted a certificate for `host` (on-demand issuance from any replica). Recording a name twice
   * is not an error. A store without it only lets the leader take on-demand names.
   */
  requestCertificate?(host: string): Promise<void>;
  /**
   * Optional: takes the order lock for `host` among the processes sharing this store. Resolves a
   * release function when this process may order, `undefined` when another live process holds
   * the lock (this one then waits for the certificate it stores). A store without it relies on
   * `isLeader` alone.
   */
  lockOrder?(host: string): Promise<Dispose | undefined>;
}

/** A lock older than this is taken over even when its holder's pid still answers (pid reuse). */
const STALE_LOCK_MS = 10 * 60_000;

/** Whether `pid` names a live process on this host (EPERM: alive, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** File-system-safe form of a host or account id (`*` and anything but `[a-z0-9.-]` become `_`). */
function safeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

let tmpCounter = 0;

/** Writes via a temp file and `rename`, so readers never see a partial file. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * A directory store: `<dir>/certificates/<host>/bundle.json` (certificate and key in one file, so
 * a reader never pairs a new certificate with an old key) and `<dir>/accounts/<account>/key.pem`.
 * Files are created with mode 0600.
 */
export function directoryStorage(dir: string): CertificateStorage {
  const fail = (what: string, path: string, cause: unknown, host?: string): never => {
    throw new AcmeError('SY_ERR_ACME_STORAGE', `acme storage: cannot ${what} ${path}: ${String(cause)}`, {
      cause,
      ...(host === undefined ? {} : { host }),
    });
  };
  const certFile = (host: string) => join(dir, 'certificates', safeName(host), 'bundle.json');
  const keyFile = (account: string) => join(dir, 'accounts', safeName(account), 'key.pem');
  return Object.freeze({
    description: `dir ${dir}`,
    async loadCertificate(host: string): Promise<StoredCertificate | undefined> {
      const path = certFile(host);
      let text: string | undefined;
      try {
        text = await readOptional(path);
      } catch (err) {
        return fail('read', path, err, host);
      }
      if (text === undefined) return undefined;
      try {
        const parsed = JSON.parse(text) as { certPem?: unknown; keyPem?: unknown };
        if (typeof parsed.certPem !== 'string' || typeof parsed.keyPem !== 'string') {
          throw new Error('fields certPem and keyPem must be strings');
        }
        return { host, certPem: parsed.certPem, keyPem: parsed.keyPem };
      } catch (err) {
        return fail('parse', path, err, host);
      }
    },
    async saveCertificate(cert: StoredCertificate): Promise<void> {
      const path = certFile(cert.host);
      try {
        await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
        await writeAtomic(
          path,
          JSON.stringify({ host: cert.host, certPem: cert.certPem, keyPem: cert.keyPem }),
        );
      } catch (err) {
        fail('write', path, err, cert.host);
      }
    },
    async loadAccountKey(account: string): Promise<string | undefined> {
      const path = keyFile(account);
      try {
        return await readOptional(path);
      } catch (err) {
        return fail('read', path, err);
      }
    },
    async saveAccountKey(account: string, keyPem: string): Promise<void> {
      const path = keyFile(account);
      try {
        await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
        await writeAtomic(path, keyPem);
      } catch (err) {
        fail('write', path, err);
      }
    },
    async lockOrder(host: string): Promise<Dispose | undefined> {
      const path = join(certFile(host), '..', 'order.lock');
      try {
        await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
        // Two tries: the second after removing a stale lock (its holder gone, or too old).
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            const fh = await open(path, 'wx', 0o600);
            const token = JSON.stringify({ pid: process.pid, at: Date.now() });
            try {
              await fh.writeFile(token);
            } finally {
              await fh.close();
            }
            return () => {
              // Removes the lock only while it is still ours (not taken over as stale).
              void readOptional(path)
                .then((text) => (text === token ? unlink(path) : undefined))
                .catch(() => undefined);
            };
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          }
          const text = await readOptional(path);
          if (text === undefined) continue;
          let holder: { pid?: unknown; at?: unknown } = {};
          try {
            holder = JSON.parse(text) as typeof holder;
          } catch {
            // A lock being written right now reads empty: treat it as held unless old (below).
          }
          const pid = typeof holder.pid === 'number' ? holder.pid : undefined;
          const at = typeof holder.at === 'number' ? holder.at : undefined;
          const dead = pid !== undefined && pid !== process.pid && !pidAlive(pid);
          const old = at !== undefined && Date.now() - at > STALE_LOCK_MS;
          if (!dead && !old) return undefined;
          await unlink(path).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
          });
        }
        return undefined;
      } catch (err) {
        return fail('lock', path, err, host);
      }
    },
  });
}
