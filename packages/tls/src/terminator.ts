/**
 * The lifecycle of served certificates: follows every `CertificateSource`, validates new
 * material before it replaces anything, keeps the last good certificate when an update is bad,
 * builds one `SecureContext` per certificate, and answers SNI from them. Its `serverOptions()`
 * are what a `tls.Server`/`https.Server` needs, so the router can bring its own server and request
 * handler; `createTlsServer` is the batteries-included wrapper.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  createSecureContext,
  type SecureContext,
  type SecureVersion,
  Server,
  TLSSocket,
  type TlsOptions,
} from 'node:tls';
import {
  type Clock,
  type Dispose,
  type Gauge,
  type Stats,
  type SwitchyardError,
  systemClock,
  type TimerHandle,
} from '@switchyard/core';
import { type LoadedCertificate, splitPemCertificates, validateCertificatePair } from './certificate.js';
import {
  certExpiringChannel,
  certLoadedChannel,
  certRejectedChannel,
  certRemovedChannel,
} from './channels.js';
import { parseClientHello } from './client-hello.js';
import { TlsError } from './errors.js';
import { fileCertificateSource } from './file-source.js';
import { buildSniIndex, type SniIndex, selectSni } from './sni.js';
import type { CertificatePair, CertificateSnapshot, CertificateSource } from './source.js';

/** TLS protocol versions accepted in `protocols`. */
export type TlsProtocol = SecureVersion;

/** Fourteen days, the default `expiryWarningMs`. */
export const DEFAULT_EXPIRY_WARNING_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * Server-side TLS settings. The Linkerd field names (`certPath`, `keyPath`,
 * `intermediateCertsPath`, `caCertPath`, `requireClientAuth`, `protocols`, `ciphers`) mean what
 * they meant in Linkerd 1; `certificates` adds any number of further sources for SNI.
 */
export interface TlsServerOptions {
  /** Linkerd's single pair; becomes a `fileCertificateSource` placed first (so it is the default). */
  readonly certPath?: string;
  readonly keyPath?: string;
  readonly intermediateCertsPath?: string;
  /** More certificate sources (files, Kubernetes Secrets); earlier entries win name conflicts. */
  readonly certificates?: readonly CertificateSource[];
  /** Id of the certificate for handshakes without SNI or with unknown names; default: the first served. */
  readonly defaultCertificate?: string;
  /** `default` (the default) answers unknown names with the default certificate; `reject` aborts the handshake. */
  readonly unknownServerName?: 'default' | 'reject';
  /** PEM bundle of CAs trusted for client certificates. */
  readonly caCertPath?: string;
  /** Require and verify a client certificate against `caCertPath` (mTLS). Default false. */
  readonly requireClientAuth?: boolean;
  /** Allowed versions; default `['TLSv1.2', 'TLSv1.3']`. The range min…max is used. */
  readonly protocols?: readonly TlsProtocol[];
  /** OpenSSL cipher list (string or list joined with `:`); default Node's. */
  readonly ciphers?: string | readonly string[];
  /** ALPN protocols in preference order; default `['http/1.1']`. */
  readonly alpnProtocols?: readonly string[];
  /** Serve certificates outside their validity window. Default false: they are rejected. */
  readonly allowExpired?: boolean;
  /** Warn (`switchyard:tls:certExpiring`) when a served certificate has less than this left. Default 14 days. */
  readonly expiryWarningMs?: number;
  /** Time allowed for the ClientHello and the handshake, ms. Default 10000. */
  readonly handshakeTimeoutMs?: number;
  /** How often to re-check expiry, ms. Default one hour. */
  readonly expiryCheckIntervalMs?: number;
  /** Receives `certificate/<id>/expires_in_seconds` gauges and reload/rejection/SNI counters. */
  readonly stats?: Stats;
  readonly clock?: Clock;
}

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

interface Served {
  readonly cert: LoadedCertificate;
  readonly context: SecureContext;
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
 * Follows certificate sources and turns them into SNI-selected secure contexts.
 * Create it, `await ready()`, pass `serverOptions()` to `https.createServer` (or `tls.createServer`)
 * and `attach(server)` so every handshake uses the certificate chosen for it, reloads included. `close()` stops the watches.
 */
export class TlsTerminator {
  readonly #clock: Clock;
  readonly #stats: Stats | undefined;
  readonly #options: TlsServerOptions;
  readonly #sources: readonly CertificateSource[];
  readonly #contextOptions: TlsOptions;
  // Shared session-ticket keys, so resumption works across SNI contexts and reloads.
  readonly #ticketKeys = randomBytes(48);
  readonly #slots = new Map<string, Slot>();
  readonly #reported = new Set<number>();
  readonly #disposers: Dispose[] = [];
  readonly #servers = new Set<Server>();
  readonly #observers = new Set<(status: TlsStatus) => void>();
  readonly #warned = new Set<string>();
  readonly #readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #index: SniIndex<Served> = buildSniIndex<Served>([], undefined);
  #expiryTimer: TimerHandle | undefined;
  #closed = false;

  /** Validates options (throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS`/`SY_ERR_TLS_BAD_CA`) and starts following sources. */
  constructor(options: TlsServerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#stats = options.stats?.scope('tls');
    this.#contextOptions = { ...contextOptions(options), ticketKeys: this.#ticketKeys };
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
   * Options for `https.createServer`/`tls.createServer`: `SNICallback`, the default certificate
   * as `key`/`cert` (when one is loaded), versions, ciphers, ALPN and client-auth settings.
   * Always pair with `attach(server)`, which picks the whole context per connection; the
   * `SNICallback` here is only a fallback for servers that are not attached.
   */
  serverOptions(): TlsOptions {
    const fallback = this.#index.fallback?.cert;
    return {
      ...this.#contextOptions,
      ...(fallback === undefined ? {} : { key: fallback.keyPem, cert: fallback.certChainPem }),
      SNICallback: this.sniCallback,
      ALPNProtocols: [...(this.#options.alpnProtocols ?? ['http/1.1'])],
      requestCert: this.#options.requireClientAuth === true,
      rejectUnauthorized: this.#options.requireClientAuth === true,
    };
  }

  /** Node `SNICallback`: picks exact, then wildcard, then default, as `selectSni` does. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const match = selectSni(this.#index, servername);
    const reject =
      match.kind === 'none' || (match.kind === 'default' && this.#options.unknownServerName === 'reject');
    this.#stats?.counter('sni', reject ? 'rejected' : match.kind).incr();
    if (reject) {
      cb(
        new TlsError(
          'SY_ERR_TLS_NO_CERTIFICATE',
          `tls: no certificate for server name ${JSON.stringify(servername)}`,
        ),
      );
      return;
    }
    cb(null, (match as { value: Served }).value.context);
  };

  /**
   * Takes over `server`'s TLS handshakes: each connection's ClientHello is peeked, the whole
   * `SecureContext` is chosen from its server name (or the default without SNI), and the socket is
   * handed back to `server` as `secureConnection` exactly as Node's own listener would. This is
   * needed because Node's `SNICallback` adds the chosen certificate next to the default one, and
   * TLS 1.3 clients may then be served the default when key types differ. Returns a function
   * restoring the server's own listener (other `connection` listeners are left alone).
   *
   * This mirrors Node 20's private `tlsConnectionListener`/`onServerSocketSecure`
   * (`lib/_tls_wrap.js`); the internals it needs are checked here, so on a Node where they differ
   * it throws `TlsError` `SY_ERR_TLS_UNSUPPORTED_RUNTIME` instead of misbehaving. Throws
   * `SY_ERR_TLS_INVALID_OPTIONS` for a server that is not a `tls.Server` or is already attached.
   */
  attach(server: Server): Dispose {
    const nodeListener = nodeConnectionListener(server, this.#servers.has(server));
    server.off('connection', nodeListener);
    const listener = (socket: Socket) => this.#accept(socket, server);
    server.on('connection', listener);
    this.#servers.add(server);
    return () => {
      if (!this.#servers.delete(server)) return;
      server.off('connection', listener);
      server.on('connection', nodeListener);
    };
  }

  #accept(raw: Socket, server: Server): void {
    const chunks: Buffer[] = [];
    const timeoutMs = this.#options.handshakeTimeoutMs ?? 10_000;
    raw.setTimeout(timeoutMs, () => raw.destroy());
    const onError = () => raw.destroy();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const data = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const hello = parseClientHello(data);
      if (hello.kind === 'incomplete') return;
      raw.off('data', onData);
      raw.off('error', onError);
      raw.pause();
      raw.unshift(data);
      raw.setTimeout(0);
      this.#startTls(raw, server, hello.kind === 'complete' ? hello.servername : undefined);
    };
    raw.on('data', onData);
    raw.on('error', onError);
  }

  #startTls(raw: Socket, server: Server, servername: string | undefined): void {
    const match = selectSni(this.#index, servername);
    const reject =
      match.kind === 'none' ||
      (match.kind === 'default' && servername !== undefined && this.#options.unknownServerName === 'reject');
    this.#stats?.counter('sni', reject ? 'rejected' : match.kind).incr();
    if (reject) {
      const err = new TlsError(
        'SY_ERR_TLS_NO_CERTIFICATE',
        `tls: no certificate for server name ${JSON.stringify(servername ?? '')}`,
      );
      raw.destroy();
      server.emit('tlsClientError', err, raw);
      return;
    }
    const requireClientAuth = this.#options.requireClientAuth === true;
    const socket = new TLSSocket(raw, {
      isServer: true,
      server,
      secureContext: (match as { value: Served }).value.context,
      requestCert: requireClientAuth,
      rejectUnauthorized: requireClientAuth,
      ALPNProtocols: [...(this.#options.alpnProtocols ?? ['http/1.1'])],
    });
    let secure = false;
    socket.setTimeout(this.#options.handshakeTimeoutMs ?? 10_000, () => {
      if (!secure) socket.destroy();
    });
    const onTlsError = (err: Error) => {
      if (secure) return;
      secure = true; // report once
      socket.destroy();
      server.emit('tlsClientError', err, socket);
    };
    socket.on('_tlsError', onTlsError);
    socket.on('error', onTlsError);
    // Node's listener reports a client that hangs up mid-handshake as ECONNRESET; so do we.
    socket.once('close', (hadError: boolean) => {
      if (secure || hadError) return;
      const reset: NodeJS.ErrnoException = new Error('socket hang up');
      reset.code = 'ECONNRESET';
      onTlsError(reset);
    });
    if (server.listenerCount('keylog') > 0)
      socket.on('keylog', (line) => server.emit('keylog', line, socket));
    socket.once('secure', () => {
      // What Node's onServerSocketSecure does (lib/_tls_wrap.js), on the same internals.
      const internals = socket as unknown as NodeTlsSocketInternals;
      if (requireClientAuth) {
        const handle = internals._handle;
        if (typeof handle?.verifyError !== 'function') {
          onTlsError(unsupportedRuntime('TLSSocket._handle.verifyError() is missing'));
          return;
        }
        const verifyError = handle.verifyError();
        if (verifyError !== null && verifyError !== undefined) {
          internals.authorizationError = (verifyError as NodeJS.ErrnoException).code ?? verifyError.message;
          onTlsError(verifyError);
          return;
        }
        socket.authorized = true;
      }
      secure = true;
      socket.setTimeout(0);
      socket.off('_tlsError', onTlsError);
      socket.off('error', onTlsError);
      // Without this, TLS errors after the handshake stay internal (`_tlsError`) and the socket is
      // never destroyed; releasing control turns them into ordinary 'error' events.
      internals._releaseControl();
      internals.secureConnecting = false;
      server.emit('secureConnection', socket);
    });
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

  /** Stops following sources and the expiry timer; served contexts stay valid for open connections. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#disposers.splice(0)) d();
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    for (const slot of this.#slots.values()) slot.gauge?.dispose();
    this.#servers.clear();
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
    let context: SecureContext;
    try {
      context = createSecureContext({ ...this.#contextOptions, key: cert.keyPem, cert: cert.certChainPem });
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
    slot.served = { cert, context };
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

/** Settings every SecureContext shares: versions, ciphers, client CA. Throws on invalid options. */
function contextOptions(options: TlsServerOptions): TlsOptions {
  const order: readonly TlsProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const protocols = options.protocols ?? ['TLSv1.2', 'TLSv1.3'];
  if (protocols.length === 0 || protocols.some((p) => !order.includes(p))) {
    throw new TlsError(
      'SY_ERR_TLS_INVALID_OPTIONS',
      `tls.protocols: expected a non-empty list of ${order.join(', ')}; got ${JSON.stringify(protocols)}`,
    );
  }
  const ranks = protocols.map((p) => order.indexOf(p));
  const out: TlsOptions = {
    minVersion: order[Math.min(...ranks)]!,
    maxVersion: order[Math.max(...ranks)]!,
  };
  if (options.ciphers !== undefined) {
    out.ciphers = typeof options.ciphers === 'string' ? options.ciphers : options.ciphers.join(':');
    try {
      createSecureContext({ ciphers: out.ciphers });
    } catch (cause) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `tls.ciphers: OpenSSL rejected ${JSON.stringify(out.ciphers)}`,
        {
          cause,
        },
      );
    }
  }
  if (options.requireClientAuth === true && options.caCertPath === undefined) {
    throw new TlsError(
      'SY_ERR_TLS_INVALID_OPTIONS',
      'tls.requireClientAuth needs tls.caCertPath (the client CA bundle)',
    );
  }
  if (options.caCertPath !== undefined) out.ca = readCaBundle(options.caCertPath);
  return out;
}

/** Reads and checks a PEM CA bundle; throws `SY_ERR_TLS_READ_FAILED` or `SY_ERR_TLS_BAD_CA` naming the file. */
export function readCaBundle(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TlsError(
      'SY_ERR_TLS_READ_FAILED',
      `${path}: cannot read the CA bundle: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
      { source: path, cause },
    );
  }
  const blocks = splitPemCertificates(text);
  if (blocks.length === 0) {
    throw new TlsError('SY_ERR_TLS_BAD_CA', `${path}: no PEM "CERTIFICATE" block in the CA bundle`, {
      source: path,
    });
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new TlsError(
        'SY_ERR_TLS_BAD_CA',
        `${path}: cannot parse certificate #${i + 1} of the CA bundle`,
        {
          source: path,
          cause,
        },
      );
    }
  }
  return blocks;
}

/** A certificate id as one metric path segment: `/etc/tls/tls.crt` → `etc_tls_tls.crt`. */
function metricSegment(id: string): string {
  return id
    .replace(/^[/\s]+/, '')
    .replace(/[/\s]+/g, '_')
    .replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/** The private `TLSSocket` members `attach` uses exactly as Node's own `tlsConnectionListener` does. */
interface NodeTlsSocketInternals {
  _handle?: { verifyError?: () => Error | null };
  _releaseControl(): boolean;
  authorizationError: string;
  secureConnecting: boolean;
}

function unsupportedRuntime(what: string): TlsError {
  return new TlsError(
    'SY_ERR_TLS_UNSUPPORTED_RUNTIME',
    `tls: attach(server) relies on Node's TLS internals and ${what} on Node ${process.version} ` +
      "(supported: Node 20); use the terminator's sniCallback without attach, or a supported Node",
  );
}

/**
 * Finds Node's own `tlsConnectionListener` on `server` and checks the `TLSSocket` internals the
 * takeover needs, so a Node whose `lib/_tls_wrap.js` differs fails here, loudly, instead of
 * serving the wrong certificate or leaking sockets later.
 */
function nodeConnectionListener(server: Server, attached: boolean): (socket: Socket) => void {
  if (attached) {
    throw new TlsError('SY_ERR_TLS_INVALID_OPTIONS', 'tls: attach(server): this server is already attached');
  }
  if (!(server instanceof Server)) {
    throw new TlsError(
      'SY_ERR_TLS_INVALID_OPTIONS',
      'tls: attach(server) needs a tls.Server or https.Server (created with serverOptions())',
    );
  }
  const proto = TLSSocket.prototype as unknown as Record<string, unknown>;
  for (const member of ['_releaseControl', '_tlsError']) {
    if (typeof proto[member] !== 'function')
      throw unsupportedRuntime(`TLSSocket.prototype.${member} is missing`);
  }
  const candidates = server
    .listeners('connection')
    .filter((l) => (l as { name?: string }).name === 'tlsConnectionListener');
  if (candidates.length !== 1) {
    throw unsupportedRuntime(
      `the server has ${candidates.length} 'connection' listeners named tlsConnectionListener (expected 1)`,
    );
  }
  return candidates[0] as (socket: Socket) => void;
}
