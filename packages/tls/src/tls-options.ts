/**
 * The server-side TLS settings (Linkerd's names) and how they become the options of the
 * per-certificate `tls.Server`s: versions, ciphers and the client CA are checked once, at
 * construction, so a typo fails at startup naming the field instead of at the first handshake.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureVersion, type TlsOptions } from 'node:tls';
import type { Clock, Stats } from '@switchyard/core';
import { splitPemCertificates } from './certificate.js';
import { TlsError } from './errors.js';
import type { CertificateSource } from './source.js';

/** TLS protocol versions accepted in `protocols`. */
export type TlsProtocol = SecureVersion;

/** Fourteen days, the default `expiryWarningMs`. */
export const DEFAULT_EXPIRY_WARNING_MS = 14 * 24 * 60 * 60 * 1000;

/** Ten seconds, the default `handshakeTimeoutMs`. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

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
  /**
   * ALPN protocols offered, in preference order; default `['http/1.1']`. A front door may
   * override it per listening server; each protocol needs a handler there.
   */
  readonly alpnProtocols?: readonly string[];
  /** Serve certificates outside their validity window. Default false: they are rejected. */
  readonly allowExpired?: boolean;
  /** Warn (`switchyard:tls:certExpiring`) when a served certificate has less than this left. Default 14 days. */
  readonly expiryWarningMs?: number;
  /**
   * Time allowed from accepting a connection until its ClientHello is complete, and then again for
   * the TLS handshake, ms. Default 10000. Connections that miss either are closed.
   */
  readonly handshakeTimeoutMs?: number;
  /** How often to re-check expiry, ms. Default one hour. */
  readonly expiryCheckIntervalMs?: number;
  /** Receives `certificate/<id>/expires_in_seconds` gauges and reload/rejection/SNI counters. */
  readonly stats?: Stats;
  readonly clock?: Clock;
}

/**
 * Settings every certificate's context shares: versions, ciphers, client CA. Throws `TlsError`
 * `SY_ERR_TLS_INVALID_OPTIONS` naming the field, or `SY_ERR_TLS_READ_FAILED`/`SY_ERR_TLS_BAD_CA`
 * naming the CA file.
 */
export function sharedContextOptions(options: TlsServerOptions): TlsOptions {
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
        { cause },
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

/** Checks an ALPN protocol list: non-empty, each id 1–255 bytes, no repeats. Throws naming `field`. */
export function checkAlpnProtocols(protocols: readonly string[], field: string): readonly string[] {
  const bad = protocols.find((p) => p.length === 0 || Buffer.byteLength(p) > 255);
  if (protocols.length === 0 || bad !== undefined || new Set(protocols).size !== protocols.length) {
    throw new TlsError(
      'SY_ERR_TLS_INVALID_OPTIONS',
      `${field}: expected distinct protocol ids of 1 to 255 bytes; got ${JSON.stringify(protocols)}`,
    );
  }
  return Object.freeze([...protocols]);
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
