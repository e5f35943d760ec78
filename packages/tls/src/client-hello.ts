/**
 * Reads the server name from a TLS ClientHello before OpenSSL sees it (RFC 8446 §4.1.2,
 * RFC 6066 §3). Node's `SNICallback` *adds* the chosen certificate to the server's default one
 * instead of replacing it, so with an ECDSA default and an RSA SNI certificate a TLS 1.3 client
 * that prefers ECDSA is handed the default certificate. Choosing the whole `SecureContext` per
 * connection from the peeked name avoids that and also treats handshakes without SNI uniformly.
 */

/** Outcome of `parseClientHello` on the bytes received so far. */
export type ClientHelloParse =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'complete'; readonly servername: string | undefined }
  /** Not a TLS handshake (e.g. plain HTTP on the TLS port) or malformed; let OpenSSL fail it. */
  | { readonly kind: 'invalid' };

/** Upper bound on bytes buffered while looking for the end of the ClientHello. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const INCOMPLETE: ClientHelloParse = Object.freeze({ kind: 'incomplete' });
const INVALID: ClientHelloParse = Object.freeze({ kind: 'invalid' });

/**
 * Parses the ClientHello at the start of `data`, which may span several handshake records.
 * Returns `incomplete` while more bytes are needed (up to `MAX_CLIENT_HELLO_BYTES`).
 */
export function parseClientHello(data: Buffer): ClientHelloParse {
  // Reassemble the handshake message from consecutive records of content type 22.
  const fragments: Buffer[] = [];
  let have = 0;
  let offset = 0;
  let needed: number | undefined;
  while (needed === undefined || have < needed) {
    if (data.length < offset + 5) return data.length >= MAX_CLIENT_HELLO_BYTES ? INVALID : INCOMPLETE;
    if (data[offset] !== 22 || data[offset + 1] !== 3) return INVALID;
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > 16_384 + 2048) return INVALID;
    if (data.length < offset + 5 + length)
      return data.length >= MAX_CLIENT_HELLO_BYTES ? INVALID : INCOMPLETE;
    fragments.push(data.subarray(offset + 5, offset + 5 + length));
    have += length;
    offset += 5 + length;
    if (needed === undefined) {
      const first = fragments[0]!;
      if (first.length < 4) return INVALID;
      if (first[0] !== 1) return INVALID;
      needed = 4 + first.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO_BYTES) return INVALID;
    }
  }
  const hello = Buffer.concat(fragments).subarray(4, needed);
  try {
    return { kind: 'complete', servername: serverNameOf(hello) };
  } catch {
    return INVALID;
  }
}

function serverNameOf(body: Buffer): string | undefined {
  let p = 2 + 32; // legacy_version, random
  p += 1 + body.readUInt8(p); // legacy_session_id
  p += 2 + body.readUInt16BE(p); // cipher_suites
  p += 1 + body.readUInt8(p); // legacy_compression_methods
  if (p === body.length) return undefined; // no extensions
  const end = p + 2 + body.readUInt16BE(p);
  p += 2;
  if (end > body.length) throw new RangeError('extensions overflow');
  while (p + 4 <= end) {
    const type = body.readUInt16BE(p);
    const length = body.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      // ServerNameList: u16 length, then (u8 name_type, u16 length, bytes)*; host_name is type 0.
      let q = p + 2;
      const listEnd = q + body.readUInt16BE(p);
      while (q + 3 <= listEnd) {
        const nameType = body.readUInt8(q);
        const nameLength = body.readUInt16BE(q + 1);
        q += 3;
        if (nameType === 0) return body.toString('ascii', q, q + nameLength);
        q += nameLength;
      }
      return undefined;
    }
    p += length;
  }
  return undefined;
}
