/**
 * Just enough HTTP/2 framing (RFC 9113 §4, HPACK literals from RFC 7541 §6.2.2) to send frames a
 * well-behaved client library never would, and to read what the server answered.
 */
import { H2_PREFACE } from '../src/h2-preface.js';

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;

/** One frame: 9-byte header, then `payload`. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByteFlags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByteFlags | value]);
  const out = [firstByteFlags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function hpackString(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([hpackInt(bytes.length, 7, 0), bytes]);
}

/** A header block of literal fields without indexing, new names (no dynamic table state). */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.flatMap(([n, v]) => [Buffer.from([0]), hpackString(n), hpackString(v)]));
}

/** A GET request HEADERS frame on `streamId`. */
export function getRequest(
  streamId: number,
  path = '/',
  extra: readonly (readonly [string, string])[] = [],
  endStream = true,
): Buffer {
  const block = headerBlock([
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', 'test'],
    [':path', path],
    ...extra,
  ]);
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), streamId, block);
}

/** RST_STREAM with `code`. */
export function rstStream(streamId: number, code = 8 /* CANCEL */): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, p);
}

/** The client's opening: preface and an empty SETTINGS frame. */
export function clientStart(): Buffer {
  return Buffer.concat([H2_PREFACE, frame(FRAME.SETTINGS, 0, 0)]);
}

/** A frame read back. */
export interface ReadFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Splits `bytes` into whole frames (a trailing partial frame is ignored). */
export function readFrames(bytes: Buffer): ReadFrame[] {
  const out: ReadFrame[] = [];
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    out.push({
      type: bytes[at + 3]!,
      flags: bytes[at + 4]!,
      streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return out;
}

/** The error code of a GOAWAY or RST_STREAM frame. */
export function errorCode(f: ReadFrame): number {
  return f.type === FRAME.GOAWAY ? f.payload.readUInt32BE(4) : f.payload.readUInt32BE(0);
}
