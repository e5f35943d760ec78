/**
 * The lifecycle of served certificates: follows every `CertificateSource`, validates new
 * material before it replaces anything, keeps the last good certificate when an update is bad,
 * answers SNI (exact, wildcard, default) with a whole certificate, and reports status, expiry
 * gauges and readiness. It holds no sockets: a `TlsFrontDoor` asks it which certificate a
 * ClientHello gets and serves that certificate from its own `tls.Server`.
 */
import { randomBytes } from 'node:crypto';
import { createSecureContext, type TlsOptions } from 'node:tls';
import {
  type Clock,
  type Dispose,
  type Gauge,
  type Stats,
  type SwitchyardError,
  systemClock,
  type TimerHandle,
} from '@switchyard/core';
import { type LoadedCertificate, validateCertificatePair } from './certificate.js';
import {
  certExpiringChannel,
  certLoadedChannel,
  certRejectedChannel,
  certRemovedChannel,
} from './channels.js';
import { TlsError } from './errors.js';
import { fileCertificateSource } from './file-source.js';
import { buildSniIndex, type SniIndex, selectSni } from './sni.js';
import type { CertificatePair, CertificateSnapshot, CertificateSource } from './source.js';
import type { CertificateStatus, ServedCertificateInfo, TlsStatus } from './status.js';
import {
  checkAlpnProtocols,
  DEFAULT_EXPIRY_WARNING_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  sharedContextOptions,
  type TlsServerOptions,
} from './tls-options.js';

/**
 * Which certificate answers a ClientHello (see `TlsTerminator.select`): the SNI match kind and
 * the certificate, or why the handshake must not proceed.
 */
export type CertificateSelection =
  | { readonly kind: 'exact' | 'wildcard' | 'default'; readonly certificate: LoadedCertificate }
  | { readonly kind: 'rejected'; readonly error: TlsError };

interface Served {
  readonly cert: LoadedCertificate;
}

interface Slot {
  readonly id: string;
  readonly source: number;
  served: Served | undefined;
  /** Why the latest material was rejected: a `TlsError`, or a source's own error (e.g. a Secret's). */
  error: SwitchyardError | undefined;
  gauge: Gauge | undefined;
}

const NO_STATS_GAUGE: Gauge = Object.freeze({ dispose() {} });

/**
 * Follows certificate sources and answers, per ClientHello, which certificate to serve.
 * Create it, `await ready()`, and serve it through a `TlsFrontDoor` (or `createHttpsServer` /
 * `createTlsServer`, which build one). `close()` stops the watches.
 */
export class TlsTerminator {
  readonly #clock: Clock;
  readonly #stats: Stats | undefined;
  readonly #options: TlsServerOptions;
  readonly #sources: readonly CertificateSource[];
  readonly #contextOptions: TlsOptions;
  // Shared session-ticket keys, so resumption works across the per-certificate servers and reloads.
  readonly #ticketKeys = randomBytes(48);
  readonly #slots = new Map<string, Slot>();
  readonly #reported = new Set<number>();
  readonly #disposers: Dispose[] = [];
  readonly #observers = new Set<(status: TlsStatus) => void>();
  readonly #warned = new Set<string>();
  readonly #readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #index: SniIndex<Served> = buildSniIndex<Served>([], undefined);
  #expiryTimer: TimerHandle | undefined;
  #closed = false;

  /** ALPN protocols offered by default, in preference order (`alpnProtocols`, default `['http/1.1']`). */
  readonly alpnProtocols: readonly string[];
  /** Whether `alpnProtocols` was configured (a front door with an `h2` handler offers h2 unless it was). */
  readonly alpnProtocolsConfigured: boolean;
  /** `handshakeTimeoutMs`: for the ClientHello, and again for the handshake. */
  readonly handshakeTimeoutMs: number;
  /** The `tls` scope of `stats`, where front doors count `connections` and `handshake_failures`. */
  readonly stats: Stats | undefined;

  /** Validates options (throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS`/`SY_ERR_TLS_BAD_CA`) and starts following sources. */
  constructor(options: TlsServerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#stats = options.stats?.scope('tls');
    this.stats = this.#stats;
    this.#contextOptions = { ...sharedContextOptions(options), ticketKeys: this.#ticketKeys };
    this.alpnProtocols = checkAlpnProtocols(options.alpnProtocols ?? ['http/1.1'], 'tls.alpnProtocols');
    this.alpnProtocolsConfigured = options.alpnProtocols !== undefined;
    const timeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout <= 0) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `tls.handshakeTimeoutMs: expected a positive integer; got ${JSON.stringify(timeout)}`,
      );
    }
    this.handshakeTimeoutMs = timeout;
    const sources: CertificateSource[] = [];
    if (options.certPath !== undefined || options.keyPath !== undefined) {
      if (options.certPath === undefined || options.keyPath === undefined) {
        throw new TlsError('SY_ERR_TLS_INVALID_OPTIONS', 'tls: certPath and keyPath must be given together');
      }
      sources.push(
        fileCertificateSource({
          certPath: options.certPath,
          keyPath: options.keyPath,
          ...(options.intermediateCertsPath === undefined
            ? {}
            : { intermediateCertsPath: options.intermediateCertsPath }),
          clock: this.#clock,
        }),
      );
    }
    sources.push(...(options.certificates ?? []));
    if (sources.length === 0) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        'tls: no certificates: give certPath/keyPath or certificates',
      );
    }
    this.#sources = sources;
    for (const [i, source] of sources.entries()) {
      this.#disposers.push(source.observe((snapshot) => this.#onSnapshot(i, snapshot)));
    }
    this.#scheduleExpiryCheck();
  }

  /**
   * Resolves once every source has reported and at least one certificate is served; rejects
   * with `SY_ERR_TLS_NO_CERTIFICATE` (listing each rejection) if every source reported and none
   * is usable, or if the terminator is closed first.
   */
  ready(): Promise<void> {
    const settled = this.#readiness();
    if (settled === 'ready') return Promise.resolve();
    if (settled !== 'pending') return Promise.reject(settled);
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * The certificate for a ClientHello's server name (`undefined`: no SNI): exact name, then
   * one-label wildcard, then the default. `rejected` (`SY_ERR_TLS_NO_CERTIFICATE`) when nothing
   * is served, or when the name is unknown and `unknownServerName` is `reject`. Counts
   * `sni/{exact,wildcard,default,rejected}`.
   */
  select(servername: string | undefined): CertificateSelection {
    const match = selectSni(this.#index, servername);
    const reject =
      match.kind === 'none' ||
      (match.kind === 'default' &&
        servername !== undefined &&
        servername !== '' &&
        this.#options.unknownServerName === 'reject');
    this.#stats?.counter('sni', reject ? 'rejected' : match.kind).incr();
    if (match.kind === 'none' || reject) {
      const error = new TlsError(
        'SY_ERR_TLS_NO_CERTIFICATE',
        match.kind === 'none'
          ? 'tls: no certificate is being served'
          : `tls: no certificate for server name ${JSON.stringify(servername)} (unknownServerName: reject)`,
      );
      return Object.freeze({ kind: 'rejected', error });
    }
    return Object.freeze({ kind: match.kind, certificate: match.value.cert });
  }

  /**
   * Options shared by every per-certificate `tls.Server` (add `key`, `cert` and `ALPNProtocols`):
   * versions, ciphers, client CA with `requestCert`/`rejectUnauthorized` for mTLS (Node itself
   * verifies the client certificate), session-ticket keys and the handshake timeout.
   */
  tlsServerOptions(): TlsOptions {
    const mtls = this.#options.requireClientAuth === true;
    return {
      ...this.#contextOptions,
      requestCert: mtls,
      rejectUnauthorized: mtls,
      handshakeTimeout: this.handshakeTimeoutMs,
    };
  }

  /** The current state of every certificate id, in source order. */
  status(): TlsStatus {
    const fallback = this.#index.fallback;
    const now = this.#clock.now();
    const warnMs = this.#options.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS;
    const certificates: CertificateStatus[] = [];
    for (const slot of this.#ordered()) {
      const error =
        slot.error === undefined ? undefined : { code: slot.error.code, message: slot.error.message };
      if (slot.served === undefined) {
        if (error !== undefined) certificates.push({ kind: 'rejected', id: slot.id, error });
        continue;
      }
      const c = slot.served.cert;
      const info: ServedCertificateInfo = {
        id: slot.id,
        names: c.names,
        subject: c.subject,
        notAfter: c.notAfter,
        fingerprint256: c.fingerprint256,
        isDefault: fallback === slot.served,
        expiresSoon: c.notAfter - now < warnMs,
      };
      certificates.push(
        error === undefined ? { kind: 'serving', ...info } : { kind: 'stale', error, ...info },
      );
    }
    return Object.freeze({ ready: this.#readiness() === 'ready', certificates: Object.freeze(certificates) });
  }

  /** Calls `f` with the status after every change (not immediately). Returns its dispose. */
  observe(f: (status: TlsStatus) => void): Dispose {
    const g = (s: TlsStatus) => f(s);
    this.#observers.add(g);
    return () => {
      this.#observers.delete(g);
    };
  }

  /** Stops following sources and the expiry timer; open connections keep their certificate. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#disposers.splice(0)) d();
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    for (const slot of this.#slots.values()) slot.gauge?.dispose();
    const err = new TlsError('SY_ERR_TLS_NO_CERTIFICATE', 'tls: terminator closed before it was ready');
    for (const w of this.#readyWaiters.splice(0)) w.reject(err);
  }

  #ordered(): Slot[] {
    return [...this.#slots.values()].sort((a, b) => a.source - b.source);
  }

  #readiness(): 'ready' | 'pending' | TlsError {
    if (this.#reported.size === this.#sources.length && this.#index.fallback !== undefined) return 'ready';
    if (this.#closed) return new TlsError('SY_ERR_TLS_NO_CERTIFICATE', 'tls: terminator closed');
    if (this.#reported.size < this.#sources.length) return 'pending';
    const reasons = [...this.#slots.values()].flatMap((s) =>
      s.error === undefined ? [] : [s.error.message],
    );
    return new TlsError(
      'SY_ERR_TLS_NO_CERTIFICATE',
      `tls: no usable certificate${reasons.length === 0 ? ' (the sources hold none)' : `: ${reasons.join('; ')}`}`,
    );
  }

  #onSnapshot(sourceIndex: number, snapshot: CertificateSnapshot): void {
    if (this.#closed) return;
    const seen = new Set<string>();
    // Snapshots within one source keep their order: re-insert to keep Map order = config order.
    for (const entry of snapshot) {
      seen.add(entry.id);
      let slot = this.#slots.get(entry.id);
      if (slot === undefined) {
        slot = { id: entry.id, source: sourceIndex, served: undefined, error: undefined, gauge: undefined };
        this.#slots.set(entry.id, slot);
      }
      if (entry.kind === 'failed') this.#reject(slot, entry.error);
      else this.#load(slot, entry.pair);
    }
    for (const slot of [...this.#slots.values()]) {
      if (slot.source !== sourceIndex || seen.has(slot.id)) continue;
      this.#slots.delete(slot.id);
      slot.gauge?.dispose();
      if (certRemovedChannel.hasSubscribers) certRemovedChannel.publish({ id: slot.id });
    }
    this.#reported.add(sourceIndex);
    this.#reindex();
    this.#checkExpiry();
    this.#settleReady();
    const status = this.status();
    for (const f of [...this.#observers]) f(status);
  }

  #load(slot: Slot, pair: CertificatePair): void {
    const current = slot.served?.cert.pair;
    if (
      current !== undefined &&
      current.certPem === pair.certPem &&
      current.keyPem === pair.keyPem &&
      current.chainPem === pair.chainPem
    ) {
      slot.error = undefined;
      return;
    }
    const result = validateCertificatePair(pair, {
      now: this.#clock.now(),
      ...(this.#options.allowExpired === undefined ? {} : { allowExpired: this.#options.allowExpired }),
    });
    if (result.kind === 'invalid') {
      this.#reject(slot, result.error);
      return;
    }
    const cert = result.certificate;
    try {
      // OpenSSL's own check (key type against ciphers, chain order…); the context itself is not
      // kept: each front door's per-certificate tls.Server builds its own from the same PEM.
      createSecureContext({ ...this.#contextOptions, key: cert.keyPem, cert: cert.certChainPem });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      this.#reject(
        slot,
        new TlsError(
          'SY_ERR_TLS_BAD_CERT',
          `${slot.id}: OpenSSL refused the certificate or key: ${message}`,
          {
            source: slot.id,
            cause,
          },
        ),
      );
      return;
    }
    const replaced = slot.served !== undefined;
    slot.served = { cert };
    slot.error = undefined;
    if (slot.gauge === undefined && this.#stats !== undefined) {
      slot.gauge = this.#stats.gauge(['certificate', metricSegment(slot.id), 'expires_in_seconds'], () => {
        const c = this.#slots.get(slot.id)?.served?.cert;
        return c === undefined ? 0 : Math.floor((c.notAfter - this.#clock.now()) / 1000);
      });
    }
    slot.gauge ??= NO_STATS_GAUGE;
    this.#stats?.counter(replaced ? 'reloads' : 'loads').incr();
    if (certLoadedChannel.hasSubscribers) {
      certLoadedChannel.publish({
        id: slot.id,
        names: cert.names,
        notAfter: cert.notAfter,
        fingerprint256: cert.fingerprint256,
        replaced,
      });
    }
  }

  #reject(slot: Slot, error: SwitchyardError): void {
    const same = slot.error?.message === error.message;
    slot.error = error;
    if (same) return;
    this.#stats?.counter('rejected').incr();
    if (certRejectedChannel.hasSubscribers) {
      certRejectedChannel.publish({
        id: slot.id,
        code: error.code,
        message: error.message,
        error,
        keptPrevious: slot.served !== undefined,
      });
    }
  }

  #reindex(): void {
    const ordered = this.#ordered().filter((s) => s.served !== undefined);
    const wanted = this.#options.defaultCertificate;
    const fallbackSlot =
      (wanted === undefined ? undefined : ordered.find((s) => s.id === wanted)) ?? ordered[0];
    this.#index = buildSniIndex(
      ordered.map((s) => ({ names: s.served!.cert.names, value: s.served! })),
      fallbackSlot?.served,
    );
  }

  #settleReady(): void {
    const r = this.#readiness();
    if (r === 'pending') return;
    for (const w of this.#readyWaiters.splice(0)) {
      if (r === 'ready') w.resolve();
      else w.reject(r);
    }
  }

  #checkExpiry(): void {
    const now = this.#clock.now();
    const warnMs = this.#options.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS;
    for (const slot of this.#slots.values()) {
      const c = slot.served?.cert;
      if (c === undefined || this.#warned.has(c.fingerprint256)) continue;
      const remainingMs = c.notAfter - now;
      if (remainingMs >= warnMs) continue;
      this.#warned.add(c.fingerprint256);
      this.#stats?.counter('expiring').incr();
      if (certExpiringChannel.hasSubscribers) {
        certExpiringChannel.publish({ id: slot.id, names: c.names, notAfter: c.notAfter, remainingMs });
      }
    }
  }

  #scheduleExpiryCheck(): void {
    if (this.#closed) return;
    this.#expiryTimer = this.#clock.setTimeout(
      () => {
        this.#checkExpiry();
        this.#scheduleExpiryCheck();
      },
      this.#options.expiryCheckIntervalMs ?? 60 * 60 * 1000,
    );
  }
}

/** A certificate id as one metric path segment: `/etc/tls/tls.crt` → `etc_tls_tls.crt`. */
function metricSegment(id: string): string {
  return id
    .replace(/^[/\s]+/, '')
    .replace(/[/\s]+/g, '_')
    .replace(/[^A-Za-z0-9_.:-]/g, '_');
}
