/**
 * Upstream (client) TLS: Linkerd's client `tls` block turned into the options Node's `tls.connect`
 * and undici's `Agent`/`Pool` `connect` take. The router substitutes `{captures}` in
 * `commonName` before calling this; everything here is about one concrete upstream.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type SecureVersion } from 'node:tls';
import { validateCertificatePair } from './certificate.js';
import { TlsError } from './errors.js';
import { readCaBundle } from './tls-options.js';

/** Linkerd's client `tls` fields. */
export interface ClientTlsConfig {
  /** Name the server certificate must carry; also sent as SNI (unless it is an IP address). */
  readonly commonName?: string;
  /** PEM bundle of trusted CAs; default: Node's bundled roots. */
  readonly trustCertsBundle?: string;
  /** Skip certificate and name verification entirely. For tests and broken upstreams only. */
  readonly disableValidation?: boolean;
  /** Client certificate for mTLS upstreams. */
  readonly clientAuth?: {
    readonly certPath: string;
    readonly keyPath: string;
    readonly intermediateCertsPath?: string;
  };
  /** Allowed versions; default `['TLSv1.2', 'TLSv1.3']`. */
  readonly protocols?: readonly SecureVersion[];
  /** ALPN protocols to offer, e.g. `['http/1.1']`. Default none. */
  readonly alpnProtocols?: readonly string[];
  /** Validity check time for the client certificate, epoch ms; default `Date.now()`. */
  readonly now?: number;
}

/**
 * Options for `tls.connect` and undici `connect` (`new Agent({ connect: clientTlsOptions(c) })`).
 * Plain data plus `checkServerIdentity`; spread it, don't mutate it.
 */
export interface ClientTlsOptions {
  readonly servername?: string;
  readonly ca?: string[];
  readonly rejectUnauthorized: boolean;
  readonly cert?: string;
  readonly key?: string;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly ALPNProtocols?: string[];
  readonly checkServerIdentity: (hostname: string, cert: PeerCertificate) => Error | undefined;
}

/**
 * Reads the files named in `config` (synchronously: this runs at configuration time) and returns
 * connection options. With `commonName` the peer certificate must match it, whatever host the
 * connection dialled (Linkerd semantics: pods are dialled by IP). Throws `TlsError`
 * (`SY_ERR_TLS_READ_FAILED`, `SY_ERR_TLS_BAD_CA`, `SY_ERR_TLS_BAD_CERT`, `SY_ERR_TLS_BAD_KEY`,
 * `SY_ERR_TLS_KEY_MISMATCH`, `SY_ERR_TLS_EXPIRED`) naming the file.
 */
export function clientTlsOptions(config: ClientTlsConfig): ClientTlsOptions {
  const order: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const protocols = config.protocols ?? ['TLSv1.2', 'TLSv1.3'];
  if (protocols.length === 0 || protocols.some((p) => !order.includes(p))) {
    throw new TlsError(
      'SY_ERR_TLS_INVALID_OPTIONS',
      `client tls.protocols: invalid ${JSON.stringify(protocols)}`,
    );
  }
  const ranks = protocols.map((p) => order.indexOf(p));
  const disable = config.disableValidation === true;
  const commonName = config.commonName;

  let cert: string | undefined;
  let key: string | undefined;
  if (config.clientAuth !== undefined) {
    const { certPath, keyPath, intermediateCertsPath } = config.clientAuth;
    const certPem = readText(certPath, 'client certificate');
    const keyPem = readText(keyPath, 'client private key');
    const chainPem =
      intermediateCertsPath === undefined ? undefined : readText(intermediateCertsPath, 'intermediates');
    const result = validateCertificatePair(
      { id: certPath, certPem, keyPem, ...(chainPem === undefined ? {} : { chainPem }) },
      { now: config.now ?? Date.now() },
    );
    if (result.kind === 'invalid') throw result.error;
    cert = result.certificate.certChainPem;
    key = keyPem;
  }

  const verifyName = (hostname: string, peer: PeerCertificate): Error | undefined => {
    if (disable) return undefined;
    const expected = commonName ?? hostname;
    const err = checkServerIdentity(expected, peer);
    if (err === undefined) return undefined;
    return new TlsError(
      'SY_ERR_TLS_PEER_NAME_MISMATCH',
      `upstream certificate does not match ${JSON.stringify(expected)}: ${err.message}`,
      { cause: err },
    );
  };

  return Object.freeze({
    ...(commonName !== undefined && isIP(commonName) === 0 ? { servername: commonName } : {}),
    ...(config.trustCertsBundle === undefined ? {} : { ca: readCaBundle(config.trustCertsBundle) }),
    rejectUnauthorized: !disable,
    ...(cert === undefined ? {} : { cert, key }),
    minVersion: order[Math.min(...ranks)]!,
    maxVersion: order[Math.max(...ranks)]!,
    ...(config.alpnProtocols === undefined ? {} : { ALPNProtocols: [...config.alpnProtocols] }),
    checkServerIdentity: verifyName,
  });
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TlsError(
      'SY_ERR_TLS_READ_FAILED',
      `${path}: cannot read the ${what}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`,
      { source: path, cause },
    );
  }
}
