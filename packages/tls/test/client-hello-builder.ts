/**
 * Builds TLS ClientHello bytes for the parser's property tests: any server name, ALPN list,
 * extra extensions, and any split of the handshake message into records (RFC 8446 §4.1.2, §5.1).
 */
import fc from 'fast-check';

/** What goes into a built ClientHello. */
export interface ClientHelloSpec {
  /** Sent as a `host_name` entry of server_name when defined. */
  readonly servername?: string;
  /** Sent as the ALPN extension when defined (non-empty, each 1–255 bytes as latin1). */
  readonly alpn?: readonly string[];
  /** Other extensions (types other than 0 and 16), sent before SNI and ALPN. */
  readonly extensions?: readonly { readonly type: number; readonly data: Uint8Array }[];
  /** Sizes of the records the handshake message is split into; the last record takes the rest. */
  readonly fragments?: readonly number[];
  /** Omit the extensions block entirely (a TLS 1.2 client may). Ignores servername/alpn/extensions. */
  readonly noExtensions?: boolean;
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const vec16 = (b: Uint8Array) => Buffer.concat([u16(b.length), b]);
const vec8 = (b: Uint8Array) => Buffer.concat([Buffer.from([b.length]), b]);

/** The ClientHello for `spec`, as records on the wire. */
export function buildClientHello(spec: ClientHelloSpec): Buffer {
  const exts: Buffer[] = [];
  for (const e of spec.extensions ?? []) exts.push(u16(e.type), vec16(e.data));
  if (spec.servername !== undefined) {
    const entry = Buffer.concat([Buffer.from([0]), vec16(Buffer.from(spec.servername, 'latin1'))]);
    exts.push(u16(0), vec16(vec16(entry)));
  }
  if (spec.alpn !== undefined) {
    const list = Buffer.concat(spec.alpn.map((p) => vec8(Buffer.from(p, 'latin1'))));
    exts.push(u16(16), vec16(vec16(list)));
  }
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32, 7), // random
    vec8(Buffer.alloc(32, 9)), // legacy_session_id
    vec16(Buffer.from([0x13, 0x01, 0x13, 0x02])), // cipher_suites
    vec8(Buffer.from([0])), // legacy_compression_methods
    ...(spec.noExtensions === true ? [] : [vec16(Buffer.concat(exts))]),
  ]);
  const message = Buffer.concat([
    Buffer.from([1, body.length >> 16, (body.length >> 8) & 255, body.length & 255]),
    body,
  ]);
  const records: Buffer[] = [];
  let at = 0;
  for (const size of spec.fragments ?? []) {
    if (at >= message.length) break;
    const part = message.subarray(at, Math.min(message.length, at + size));
    records.push(Buffer.from([22, 3, 1]), u16(part.length), part);
    at += part.length;
  }
  if (at < message.length)
    records.push(Buffer.from([22, 3, 1]), u16(message.length - at), message.subarray(at));
  return Buffer.concat(records);
}

const latin1Name = (min: number, max: number) =>
  fc
    .uint8Array({ minLength: min, maxLength: max })
    .filter((b) => !b.includes(0))
    .map((b) => Buffer.from(b).toString('latin1'));

/** Any ClientHello spec: names, ALPN lists, unrelated extensions and record splits. */
export const arbClientHelloSpec: fc.Arbitrary<ClientHelloSpec> = fc.record(
  {
    servername: fc.oneof(fc.domain(), latin1Name(1, 300)),
    alpn: fc.array(latin1Name(1, 255), { minLength: 1, maxLength: 6 }),
    extensions: fc
      .array(
        fc.record({
          type: fc.integer({ min: 1, max: 65_535 }).filter((t) => t !== 16),
          data: fc.uint8Array({ maxLength: 64 }),
        }),
        { maxLength: 4 },
        // Duplicate extension types are invalid (RFC 8446 §4.2); keep them distinct.
      )
      .map((es) => es.filter((e, i) => es.findIndex((f) => f.type === e.type) === i)),
    fragments: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }),
  },
  { requiredKeys: ['fragments'] },
);
