/**
 * Turns PEM text into a certificate the server may serve, or a typed reason it may not.
 * Linkerd 1 accepted only PKCS#8 keys and found problems at handshake time; here every key
 * format OpenSSL reads (PKCS#8, PKCS#1 RSA, SEC1 EC) is accepted and every problem (bad PEM,
 * key/cert mismatch, expiry) is found when the material is loaded, naming the file or Secret.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { TlsError } from './errors.js';
import type { CertificatePair } from './source.js';

/** A validated certificate pair with the facts the server and the status page need. */
export interface LoadedCertificate {
  readonly id: string;
  /**
   * Server names this certificate answers for, lowercased: SAN `DNS:` entries, or the subject CN
   * when the certificate has no DNS SAN. Wildcards keep their `*.` prefix.
   */
  readonly names: readonly string[];
  readonly subject: string;
  readonly issuer: string;
  /** Validity bounds in epoch milliseconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** SHA-256 fingerprint of the leaf, `AA:BB:…`; changes exactly when the leaf changes. */
  readonly fingerprint256: string;
  /** `rsa`, `ec`, `ed25519`, … as reported by node:crypto. */
  readonly keyType: string;
  /** Leaf followed by intermediates, as handed to `tls.createSecureContext({ cert })`. */
  readonly certChainPem: string;
  readonly keyPem: string;
  readonly pair: CertificatePair;
}

/** Result of `validateCertificatePair`: absence of a usable certificate is a value, not a throw. */
export type CertificateValidation =
  | { readonly kind: 'valid'; readonly certificate: LoadedCertificate }
  | { readonly kind: 'invalid'; readonly error: TlsError };

/** Options for `validateCertificatePair`. */
export interface ValidateOptions {
  /** Epoch milliseconds to check validity against; pass `clock.now()`. */
  readonly now: number;
  /** Accept certificates outside their validity window (default false). */
  readonly allowExpired?: boolean;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** Splits PEM text into its `CERTIFICATE` blocks, in order. Other block types are ignored. */
export function splitPemCertificates(pem: string): string[] {
  const out: string[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) if (m[1] === 'CERTIFICATE') out.push(`${m[0]}\n`);
  return out;
}

/**
 * Parses and checks a pair: the leaf and every intermediate parse, the key parses and is not
 * encrypted, the key matches the leaf, and `now` lies within the leaf's validity (unless
 * `allowExpired`). Never throws.
 */
export function validateCertificatePair(
  pair: CertificatePair,
  options: ValidateOptions,
): CertificateValidation {
  const id = pair.id;
  const invalid = (code: ConstructorParameters<typeof TlsError>[0], message: string, cause?: unknown) =>
    Object.freeze({
      kind: 'invalid' as const,
      error: new TlsError(code, `${id}: ${message}`, { source: id, cause }),
    });

  const leafBlocks = splitPemCertificates(pair.certPem);
  if (leafBlocks.length === 0) {
    return invalid('SY_ERR_TLS_BAD_CERT', 'no PEM "CERTIFICATE" block found in the certificate');
  }
  const chainBlocks = pair.chainPem === undefined ? [] : splitPemCertificates(pair.chainPem);
  if (pair.chainPem !== undefined && pair.chainPem.trim() !== '' && chainBlocks.length === 0) {
    return invalid(
      'SY_ERR_TLS_BAD_CERT',
      'no PEM "CERTIFICATE" block found in the intermediate certificates',
    );
  }
  const parsed: X509Certificate[] = [];
  for (const [i, block] of [...leafBlocks, ...chainBlocks].entries()) {
    try {
      parsed.push(new X509Certificate(block));
    } catch (cause) {
      const which = i === 0 ? 'the leaf certificate' : `certificate #${i + 1} of the chain`;
      return invalid('SY_ERR_TLS_BAD_CERT', `cannot parse ${which}: ${messageOf(cause)}`, cause);
    }
  }
  const leaf = parsed[0]!;

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pair.keyPem, format: 'pem' });
  } catch (cause) {
    const encrypted = /ENCRYPTED/.test(pair.keyPem);
    return invalid(
      'SY_ERR_TLS_BAD_KEY',
      encrypted
        ? 'the private key is encrypted; provide it unencrypted'
        : `cannot parse the private key (PKCS#8, PKCS#1 or SEC1 PEM expected): ${messageOf(cause)}`,
      cause,
    );
  }
  if (!leaf.checkPrivateKey(key)) {
    return invalid(
      'SY_ERR_TLS_KEY_MISMATCH',
      `the private key does not match the certificate (subject ${oneLine(leaf.subject)})`,
    );
  }

  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (options.allowExpired !== true) {
    if (options.now > notAfter) {
      return invalid('SY_ERR_TLS_EXPIRED', `the certificate expired at ${new Date(notAfter).toISOString()}`);
    }
    if (options.now < notBefore) {
      return invalid(
        'SY_ERR_TLS_NOT_YET_VALID',
        `the certificate is not valid before ${new Date(notBefore).toISOString()}`,
      );
    }
  }

  const certificate: LoadedCertificate = Object.freeze({
    id,
    names: Object.freeze(certificateNames(leaf)),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    notBefore,
    notAfter,
    fingerprint256: leaf.fingerprint256,
    keyType: key.asymmetricKeyType ?? 'unknown',
    certChainPem: [...leafBlocks, ...chainBlocks].join(''),
    keyPem: pair.keyPem,
    pair,
  });
  return Object.freeze({ kind: 'valid' as const, certificate });
}

/**
 * The server names a certificate answers for: its SAN `DNS:` entries lowercased, or its subject
 * CN when it has none (RFC 6125 §6.4.4: CN is consulted only without DNS SANs).
 */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  const names: string[] = [];
  if (san !== undefined) {
    // Node quotes entries containing separators as JSON strings: DNS:"a,b".
    for (const m of san.matchAll(/(?:^|, )DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
      const raw = m[1]!;
      const name = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
      names.push(normalizeName(name));
    }
  }
  if (names.length === 0) {
    const cn = /^CN=(.*)$/m.exec(cert.subject);
    if (cn?.[1] !== undefined && cn[1] !== '') names.push(normalizeName(cn[1]));
  }
  return [...new Set(names)];
}

/** Lowercases a DNS name and drops a trailing dot, the form SNI lookups compare. */
export function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function oneLine(dn: string): string {
  return dn.split('\n').join(', ');
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
