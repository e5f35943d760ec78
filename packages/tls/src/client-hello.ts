/**
 * Reads the server name and ALPN offer from a TLS ClientHello before OpenSSL sees it (RFC 8446
 * §4.1.2, RFC 6066 §3, RFC 7301 §3.1). The front door chooses the certificate, and so the
 * per-certificate `tls.Server`, from these before the handshake starts: Node's `SNICallback`
 * *adds* the chosen certificate next to the server's default one instead of replacing it, so a
 * server holding an ECDSA default and an RSA SNI certificate can hand a TLS 1.3 client the wrong
 * one. Pure and total: any bytes give a result, never an exception.
 */

/** Outcome of `parseClientHello` on the bytes received so far. */
export type ClientHelloParse =
  | { readonly kind: 'incomplete' }
  | {
      readonly kind: 'complete';
      /** The `host_name` of the server_name extension; undefined when the client sent none. */
      readonly servername: string | undefined;
      /** Protocols of the ALPN extension in the client's order; undefined when it sent none. */
      readonly alpnProtocols: readonly string[] | undefined;
    }
  /** Not a TLS handshake (e.g. plain HTTP on the TLS port), malformed, or larger than allowed. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Default upper bound on the bytes buffered while looking for the end of the ClientHello. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const INCOMPLETE: ClientHelloParse = Object.freeze({ kind: 'incomplete' });
const invalid = (reason: string): ClientHelloParse => Object.freeze({ kind: 'invalid', reason });

const CONTENT_TYPE_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const MAX_PLAINTEXT_RECORD = 16_384; // RFC 8446 §5.1
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

/**
 * Parses the ClientHello at the start of `data`, which may span several handshake records
 * (fragmented anywhere, even inside the 4-byte handshake header). Bytes after the ClientHello are
 * ignored. Returns `incomplete` while more bytes are needed, and `invalid` once the bytes cannot
 * start a ClientHello or it would exceed `maxBytes` (default `MAX_CLIENT_HELLO_BYTES`).
 */
export function parseClientHello(data: Uint8Array, maxBytes = MAX_CLIENT_HELLO_BYTES): ClientHelloParse {
  const fragments: Uint8Array[] = [];
  let have = 0;
  let offset = 0;
  let needed: number | undefined;
  while (needed === undefined || have < needed) {
    if (data.length > offset && data[offset] !== CONTENT_TYPE_HANDSHAKE) {
      return invalid(`not a TLS handshake record (first byte 0x${hex(data[offset]!)})`);
    }
    if (data.length > offset + 1 && data[offset + 1] !== 3) {
      return invalid(`not a TLS record version (0x${hex(data[offset + 1]!)}${hex(data[offset + 2] ?? 0)})`);
    }
    if (data.length < offset + 5) return tooLargeOr(data.length, maxBytes);
    const length = (data[offset + 3]! << 8) | data[offset + 4]!;
    if (length === 0 || length > MAX_PLAINTEXT_RECORD)
      return invalid(`bad handshake record length ${length}`);
    if (offset + 5 + length > maxBytes) return invalid(`ClientHello larger than ${maxBytes} bytes`);
    if (data.length < offset + 5 + length) return INCOMPLETE;
    fragments.push(data.subarray(offset + 5, offset + 5 + length));
    have += length;
    offset += 5 + length;
    if (needed === undefined && have >= 4) {
      const head = concat(fragments, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO)
        return invalid(`handshake type ${head[0]} is not a ClientHello`);
      needed = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (needed > maxBytes) return invalid(`ClientHello larger than ${maxBytes} bytes`);
    }
  }
  return parseBody(concat(fragments, needed).subarray(4));
}

function tooLargeOr(length: number, maxBytes: number): ClientHelloParse {
  return length >= maxBytes ? invalid(`ClientHello larger than ${maxBytes} bytes`) : INCOMPLETE;
}

/** The ClientHello body (after the handshake header), checked field by field. */
function parseBody(body: Uint8Array): ClientHelloParse {
  const r = new Reader(body);
  r.skip(2 + 32); // legacy_version, random
  r.skip(r.u8()); // legacy_session_id
  const suites = r.u16();
  if (suites === 0 || suites % 2 !== 0) return invalid('malformed ClientHello: cipher_suites');
  r.skip(suites);
  const compressions = r.u8();
  if (compressions === 0) return invalid('malformed ClientHello: compression_methods');
  r.skip(compressions);
  if (!r.ok) return invalid('malformed ClientHello: truncated');
  let servername: string | undefined;
  let alpnProtocols: string[] | undefined;
  if (r.left > 0) {
    const extensions = new Reader(r.bytes(r.u16()));
    if (!r.ok || r.left !== 0) return invalid('malformed ClientHello: extensions length');
    const seen = new Set<number>();
    while (extensions.ok && extensions.left > 0) {
      const type = extensions.u16();
      const ext = new Reader(extensions.bytes(extensions.u16()));
      if (!extensions.ok) return invalid('malformed ClientHello: extension length');
      if (seen.has(type)) return invalid(`malformed ClientHello: duplicate extension ${type}`);
      seen.add(type);
      if (type === EXT_SERVER_NAME) {
        const name = serverNameOf(ext);
        if (name.kind === 'invalid') return name;
        servername = name.value;
      } else if (type === EXT_ALPN) {
        const alpn = alpnOf(ext);
        if (alpn.kind === 'invalid') return alpn;
        alpnProtocols = alpn.value;
      }
    }
    if (!extensions.ok) return invalid('malformed ClientHello: extensions');
  }
  return Object.freeze({
    kind: 'complete',
    servername,
    alpnProtocols: alpnProtocols === undefined ? undefined : Object.freeze(alpnProtocols),
  });
}

type Field<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'invalid'; readonly reason: string };

/** server_name extension: ServerNameList<1..2^16-1> of (u8 name_type, opaque<1..2^16-1>); host_name is 0. */
function serverNameOf(ext: Reader): Field<string | undefined> {
  const list = new Reader(ext.bytes(ext.u16()));
  if (!ext.ok || ext.left !== 0 || list.left === 0)
    return { kind: 'invalid', reason: 'malformed server_name' };
  let host: string | undefined;
  while (list.ok && list.left > 0) {
    const type = list.u8();
    const name = list.bytes(list.u16());
    if (!list.ok || name.length === 0) return { kind: 'invalid', reason: 'malformed server_name' };
    if (type !== 0 || host !== undefined) continue;
    if (name.includes(0)) return { kind: 'invalid', reason: 'server_name contains a NUL byte' };
    host = latin1(name);
  }
  return { kind: 'ok', value: host };
}

/** ALPN extension: ProtocolNameList<2..2^16-1> of ProtocolName<1..2^8-1>. */
function alpnOf(ext: Reader): Field<string[]> {
  const list = new Reader(ext.bytes(ext.u16()));
  if (!ext.ok || ext.left !== 0 || list.left === 0) return { kind: 'invalid', reason: 'malformed ALPN' };
  const out: string[] = [];
  while (list.ok && list.left > 0) {
    const name = list.bytes(list.u8());
    if (!list.ok || name.length === 0) return { kind: 'invalid', reason: 'malformed ALPN' };
    out.push(latin1(name));
  }
  return { kind: 'ok', value: out };
}

/** A bounds-checked cursor: reading past the end clears `ok` and yields zeros, never throws. */
class Reader {
  readonly #data: Uint8Array;
  #pos = 0;
  ok = true;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  get left(): number {
    return this.#data.length - this.#pos;
  }

  #take(n: number): number {
    if (!this.ok || n > this.left) {
      this.ok = false;
      return -1;
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  u8(): number {
    const at = this.#take(1);
    return at < 0 ? 0 : this.#data[at]!;
  }

  u16(): number {
    const at = this.#take(2);
    return at < 0 ? 0 : (this.#data[at]! << 8) | this.#data[at + 1]!;
  }

  skip(n: number): void {
    this.#take(n);
  }

  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    return at < 0 ? new Uint8Array(0) : this.#data.subarray(at, at + n);
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (at >= length) break;
    const n = Math.min(p.length, length - at);
    out.set(p.subarray(0, n), at);
    at += n;
  }
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
