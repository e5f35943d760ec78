/**
 * ACME Renewal Information (ARI, RFC 9773): a CA that offers `renewalInfo` in its directory tells
 * when it wants a certificate renewed — e.g. earlier than usual before a mass revocation. The
 * certificate is named by its ARI CertID: base64url(Authority Key Identifier keyIdentifier) "."
 * base64url(serial number DER content octets). Only the few DER fields needed are read here.
 */
import { X509Certificate } from 'node:crypto';

/** A DER TLV: tag, and the content's [start, end) in the buffer. */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function tlv(der: Uint8Array, at: number): Tlv | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return start + len > der.length ? undefined : { tag, start, end: start + len };
}

/** id-ce-authorityKeyIdentifier (2.5.29.35) as DER: OBJECT IDENTIFIER 55 1D 23. */
const AKI_OID = [0x06, 0x03, 0x55, 0x1d, 0x23];

/** The keyIdentifier of the Authority Key Identifier extension, or undefined. */
function authorityKeyId(der: Uint8Array): Uint8Array | undefined {
  outer: for (let i = 0; i + AKI_OID.length < der.length; i++) {
    for (let j = 0; j < AKI_OID.length; j++) if (der[i + j] !== AKI_OID[j]) continue outer;
    let at = i + AKI_OID.length;
    let t = tlv(der, at);
    if (t?.tag === 0x01) {
      at = t.end; // critical BOOLEAN
      t = tlv(der, at);
    }
    if (t?.tag !== 0x04) return undefined; // extnValue OCTET STRING
    const seq = tlv(der, t.start);
    if (seq?.tag !== 0x30) return undefined;
    const keyId = tlv(der, seq.start);
    // keyIdentifier is [0] IMPLICIT OCTET STRING.
    return keyId?.tag === 0x80 ? der.subarray(keyId.start, keyId.end) : undefined;
  }
  return undefined;
}

/** The serial number's DER content octets (two's complement, a leading 00 kept when needed). */
function serialOctets(hex: string): Uint8Array {
  let h = hex.length % 2 === 1 ? `0${hex}` : hex;
  if (Number.parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`;
  return Buffer.from(h, 'hex');
}

/** The ARI CertID of the leaf in `certPem`, or undefined when it has no Authority Key Identifier. */
export function ariCertId(certPem: string): string | undefined {
  const x509 = new X509Certificate(certPem);
  const keyId = authorityKeyId(new Uint8Array(x509.raw));
  if (keyId === undefined) return undefined;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  return `${b64(keyId)}.${b64(serialOctets(x509.serialNumber))}`;
}

/** A CA's suggested renewal window, epoch ms. */
export interface RenewalWindow {
  readonly start: number;
  readonly end: number;
}

/** The `suggestedWindow` of a renewalInfo response body, or undefined when malformed. */
export function parseRenewalWindow(body: unknown): RenewalWindow | undefined {
  const w = (body as { suggestedWindow?: { start?: unknown; end?: unknown } } | undefined)?.suggestedWindow;
  if (typeof w?.start !== 'string' || typeof w.end !== 'string') return undefined;
  const start = Date.parse(w.start);
  const end = Date.parse(w.end);
  return Number.isFinite(start) && Number.isFinite(end) && start <= end ? { start, end } : undefined;
}
