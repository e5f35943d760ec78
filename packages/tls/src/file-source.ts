/**
 * Certificates from files, re-read when they change. Written for Kubernetes Secret volumes: the
 * kubelet never rewrites `tls.crt` in place, it writes a new timestamped directory and atomically
 * renames a `..data` symlink onto it, so watching the file itself misses the update. We watch the
 * containing directory and re-read on any event there, and also poll `stat` (which follows the
 * symlinks) as a fallback for file systems where inotify is absent or events are lost.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '@switchyard/core';
import { TlsError } from './errors.js';
import {
  type CertificateEntry,
  type CertificatePair,
  type CertificateSource,
  sharedCertificateSource,
} from './source.js';

/** Options of `fileCertificateSource`; the field names are Linkerd's server `tls` fields. */
export interface FileCertificateSourceOptions {
  /** PEM certificate, optionally followed by intermediates. */
  readonly certPath: string;
  /** PEM private key: PKCS#8, PKCS#1 or SEC1. */
  readonly keyPath: string;
  /** PEM intermediates sent after the leaf. */
  readonly intermediateCertsPath?: string;
  /** Entry id; defaults to the resolved `certPath`. */
  readonly id?: string;
  /** How often to `stat` the files as a fallback to directory events, ms. Default 2000. */
  readonly pollIntervalMs?: number;
  /** Coalesces bursts of directory events into one read, ms. Default 25. */
  readonly debounceMs?: number;
  readonly clock?: Clock;
}

/**
 * A one-entry `CertificateSource` reading `certPath`/`keyPath` (and `intermediateCertsPath`).
 * The first snapshot arrives after the first read. A read failure (a file missing, unreadable)
 * is reported as a `failed` entry naming the file; the server then keeps the last good pair.
 * A snapshot is emitted only when the bytes read or the failure change.
 */
export function fileCertificateSource(options: FileCertificateSourceOptions): CertificateSource {
  const certPath = resolve(options.certPath);
  const keyPath = resolve(options.keyPath);
  const chainPath =
    options.intermediateCertsPath === undefined ? undefined : resolve(options.intermediateCertsPath);
  const id = options.id ?? certPath;
  const paths = chainPath === undefined ? [certPath, keyPath] : [certPath, keyPath, chainPath];
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const debounceMs = options.debounceMs ?? 25;
  const clock = options.clock ?? systemClock;

  return sharedCertificateSource(`files ${paths.join(' ')}`, (emit) => {
    let stopped = false;
    let reading = false;
    let readAgain = false;
    let lastEmitted: string | undefined;
    let lastStat: string | undefined;
    let debounce: TimerHandle | undefined;
    let pollTimer: TimerHandle | undefined;
    const watchers = new Map<string, FSWatcher>();

    const publish = (entry: CertificateEntry, signature: string) => {
      if (stopped || signature === lastEmitted) return;
      lastEmitted = signature;
      emit(Object.freeze([Object.freeze(entry)]));
    };

    // `stat` follows symlinks, so a `..data` swap changes the inode every path resolves to.
    const statSignature = async (): Promise<string> => {
      const parts: string[] = [];
      for (const path of paths) {
        try {
          const s = await stat(path);
          parts.push(`${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`);
        } catch (cause) {
          parts.push(`${basename(path)}:${(cause as NodeJS.ErrnoException).code ?? 'error'}`);
        }
      }
      return parts.join('|');
    };

    const read = async (): Promise<void> => {
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      try {
        do {
          readAgain = false;
          const before = await statSignature();
          const texts: string[] = [];
          let failure: TlsError | undefined;
          for (const path of paths) {
            try {
              texts.push(await readFile(path, 'utf8'));
            } catch (cause) {
              const what =
                path === certPath ? 'certificate' : path === keyPath ? 'private key' : 'intermediates';
              failure = new TlsError(
                'SY_ERR_TLS_READ_FAILED',
                `${id}: cannot read the ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
                { source: id, cause },
              );
              break;
            }
          }
          // The files changed while we read them (e.g. a swap between the cert and the key):
          // read again rather than publish a torn pair.
          if (failure === undefined && (await statSignature()) !== before) {
            readAgain = true;
            continue;
          }
          if (failure !== undefined) {
            publish({ kind: 'failed', id, error: failure }, `failed:${failure.message}`);
          } else {
            const pair: CertificatePair = Object.freeze({
              id,
              certPem: texts[0]!,
              keyPem: texts[1]!,
              ...(texts[2] === undefined ? {} : { chainPem: texts[2] }),
            });
            publish({ kind: 'ok', id, pair }, `ok:${texts.join('\0')}`);
          }
        } while (readAgain && !stopped);
      } finally {
        reading = false;
      }
    };

    const schedule = () => {
      if (stopped || debounce !== undefined) return;
      debounce = clock.setTimeout(() => {
        debounce = undefined;
        void read();
      }, debounceMs);
    };

    const ensureWatchers = () => {
      for (const dir of new Set(paths.map(dirname))) {
        if (watchers.has(dir)) continue;
        try {
          const w = watch(dir, { persistent: false }, () => schedule());
          // A deleted or replaced directory ends the watch; the poll re-creates it.
          w.on('error', () => {
            w.close();
            watchers.delete(dir);
          });
          watchers.set(dir, w);
        } catch {
          // The directory does not exist (yet); the poll keeps trying.
        }
      }
    };

    const poll = async () => {
      pollTimer = undefined;
      ensureWatchers();
      const signature = await statSignature();
      if (stopped) return;
      if (signature !== lastStat) {
        lastStat = signature;
        await read();
      }
      if (!stopped) pollTimer = clock.setTimeout(() => void poll(), pollIntervalMs);
    };

    ensureWatchers();
    void poll();

    return () => {
      stopped = true;
      if (debounce !== undefined) clock.clearTimeout(debounce);
      if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    };
  });
}
