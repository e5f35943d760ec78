/**
 * OTLP/HTTP protobuf encoding (`Content-Type: application/x-protobuf`), written by hand for the
 * few messages a trace export needs: `ExportTraceServiceRequest` → `ResourceSpans` → `Resource`,
 * `ScopeSpans` → `InstrumentationScope`, `Span` (with `Event` and `Status`), `KeyValue` and
 * `AnyValue` (string, bool, int). Field numbers are those of opentelemetry-proto `trace/v1`,
 * `common/v1`, `resource/v1` and `collector/trace/v1`. The input is the same object the JSON
 * encoding writes ({@link OtlpTraceRequest}), so both encodings carry exactly the same data.
 *
 * The decoder reads those messages back (unknown fields skipped, as protobuf requires) into the
 * JSON form; it is what a collector stand-in in a test needs, and reads a collector's
 * `ExportTraceServiceResponse`.
 */
import { TelemetryError } from '../errors.js';
import type { OtlpAttribute, OtlpSpan, OtlpTraceRequest, OtlpValue } from './encode.js';

/** Protobuf wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** A growable byte buffer with protobuf's primitive writers. */
class Writer {
  buf: Buffer = Buffer.allocUnsafe(1024);
  pos = 0;

  #ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.#ensure(10);
    let v = value;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** An unsigned 64-bit value (int64 two's complement already applied) as a varint. */
  varint64(value: bigint): void {
    this.#ensure(10);
    let v = value;
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  string(field: number, value: string): void {
    // Written first, its UTF-8 length fixed up after (as a sub-message's), not measured twice.
    const start = this.begin(field);
    this.#ensure(value.length * 3);
    const buf = this.buf;
    let pos = this.pos;
    // Short ASCII strings (names, keys, paths) byte by byte: cheaper than a call into Buffer.write.
    if (value.length <= 64) {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          pos = this.pos + buf.write(value, this.pos, 'utf8');
          break;
        }
        buf[pos++] = c;
      }
      this.pos = pos;
    } else this.pos += buf.write(value, this.pos, 'utf8');
    this.end(start);
  }

  /** Lower-case hex (trace and span ids) as `bytes`. */
  hex(field: number, value: string): void {
    const length = value.length >>> 1;
    this.tag(field, LEN);
    this.varint(length);
    this.#ensure(length);
    const buf = this.buf;
    for (let i = 0; i < length; i++)
      buf[this.pos + i] = (nibble(value.charCodeAt(2 * i)) << 4) | nibble(value.charCodeAt(2 * i + 1));
    this.pos += length;
  }

  /**
   * A decimal string (OTLP JSON's nanoseconds) as `fixed64`. Split as `hi * 10^6 + lo` so that
   * every step is exact in doubles (no BigInt on the common path).
   */
  fixed64(field: number, decimal: string): void {
    this.tag(field, I64);
    this.#ensure(8);
    if (decimal.length > 6 && decimal.length <= 20 && /^\d+$/.test(decimal)) {
      const hi = Number(decimal.slice(0, -6));
      const lo = Number(decimal.slice(-6));
      const hiHigh = Math.floor(hi / 0x1_0000_0000);
      const t = (hi % 0x1_0000_0000) * 1e6 + lo; // < 2^32 · 10^6 < 2^53
      const high = hiHigh * 1e6 + Math.floor(t / 0x1_0000_0000);
      if (high < 0x1_0000_0000) {
        this.buf.writeUInt32LE(t % 0x1_0000_0000, this.pos);
        this.buf.writeUInt32LE(high, this.pos + 4);
        this.pos += 8;
        return;
      }
    }
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(decimal)), this.pos);
    this.pos += 8;
  }

  /** Opens a length-delimited field: one byte is reserved for its length. */
  begin(field: number): number {
    this.tag(field, LEN);
    this.#ensure(1);
    return this.pos++;
  }

  /**
   * Closes the field {@link begin} opened at `start`. Most are under 128 bytes and the reserved
   * byte fits the length; a longer one moves its body up to fit the varint.
   */
  end(start: number): void {
    const length = this.pos - start - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.#ensure(size - 1);
      this.buf.copy(this.buf, start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    const end = this.pos;
    this.pos = start;
    this.varint(length);
    this.pos = end;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A lower-case (or upper-case) hex digit's value; ids are validated where they are made. */
function nibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v > 0x7f; v = Math.floor(v / 128)) size++;
  return size;
}

function writeValue(w: Writer, value: OtlpValue): void {
  if ('stringValue' in value) w.string(1, value.stringValue);
  else if ('boolValue' in value) {
    w.tag(2, VARINT);
    w.varint(value.boolValue ? 1 : 0);
  } else {
    w.tag(3, VARINT);
    w.varint64(BigInt.asUintN(64, BigInt(value.intValue)));
  }
}

function writeAttributes(w: Writer, field: number, attributes: readonly OtlpAttribute[]): void {
  for (const a of attributes) {
    const kv = w.begin(field);
    w.string(1, a.key);
    const value = w.begin(2);
    writeValue(w, a.value);
    w.end(value);
    w.end(kv);
  }
}

function writeSpan(w: Writer, s: OtlpSpan): void {
  w.hex(1, s.traceId);
  w.hex(2, s.spanId);
  if (s.parentSpanId !== undefined) w.hex(4, s.parentSpanId);
  w.string(5, s.name);
  w.tag(6, VARINT);
  w.varint(s.kind);
  w.fixed64(7, s.startTimeUnixNano);
  w.fixed64(8, s.endTimeUnixNano);
  writeAttributes(w, 9, s.attributes);
  for (const e of s.events) {
    const event = w.begin(11);
    w.fixed64(1, e.timeUnixNano);
    w.string(2, e.name);
    w.end(event);
  }
  // An all-default Status (UNSET, no message) is omitted, as proto3 does.
  if (s.status.code !== 0 || s.status.message !== undefined) {
    const status = w.begin(15);
    if (s.status.message !== undefined) w.string(2, s.status.message);
    if (s.status.code !== 0) {
      w.tag(3, VARINT);
      w.varint(s.status.code);
    }
    w.end(status);
  }
}

/** The request as OTLP protobuf bytes: the body of `POST /v1/traces` with `application/x-protobuf`. */
export function encodeOtlpProtobuf(request: OtlpTraceRequest): Uint8Array {
  const w = new Writer();
  for (const rs of request.resourceSpans) {
    const resourceSpans = w.begin(1);
    const resource = w.begin(1);
    writeAttributes(w, 1, rs.resource.attributes);
    w.end(resource);
    for (const ss of rs.scopeSpans) {
      const scopeSpans = w.begin(2);
      const scope = w.begin(1);
      w.string(1, ss.scope.name);
      w.string(2, ss.scope.version);
      w.end(scope);
      for (const span of ss.spans) {
        const message = w.begin(2);
        writeSpan(w, span);
        w.end(message);
      }
      w.end(scopeSpans);
    }
    w.end(resourceSpans);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A field as read off the wire: varints and fixed64 as bigint, LEN as bytes. */
type Field =
  | { readonly no: number; readonly kind: 'int'; readonly value: bigint }
  | { readonly no: number; readonly kind: 'bytes'; readonly value: Uint8Array; readonly at: number };

function fail(what: string, at: number): never {
  throw new TelemetryError('SY_ERR_TELEMETRY_OTLP_DECODE', `OTLP protobuf at byte ${at}: ${what}`);
}

/** The fields of one message, in order; `base` is the message's offset in the whole input. */
function fields(bytes: Uint8Array, base: number): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) fail('truncated varint', base + pos);
      const b = bytes[pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    return fail('varint longer than 10 bytes', base + pos);
  };
  while (pos < bytes.length) {
    const at = pos;
    const key = varint();
    const no = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (no === 0) fail('field number 0', base + at);
    switch (wireType) {
      case VARINT:
        out.push({ no, kind: 'int', value: varint() });
        break;
      case I64:
        if (pos + 8 > bytes.length) fail(`truncated fixed64 of field ${no}`, base + pos);
        out.push({
          no,
          kind: 'int',
          value: Buffer.from(bytes.buffer, bytes.byteOffset + pos, 8).readBigUInt64LE(0),
        });
        pos += 8;
        break;
      case LEN: {
        const length = Number(varint());
        if (pos + length > bytes.length) fail(`field ${no} runs past the end (${length} bytes)`, base + pos);
        out.push({ no, kind: 'bytes', value: bytes.subarray(pos, pos + length), at: base + pos });
        pos += length;
        break;
      }
      case I32:
        if (pos + 4 > bytes.length) fail(`truncated fixed32 of field ${no}`, base + pos);
        pos += 4; // no fixed32 field is read (Span.flags is skipped)
        break;
      default:
        fail(`wire type ${wireType} of field ${no} is not supported`, base + at);
    }
  }
  return out;
}

function sub(f: Field, what: string): Field[] {
  if (f.kind !== 'bytes') return fail(`${what} (field ${f.no}) is not length-delimited`, 0);
  return fields(f.value, f.at);
}

const text = (f: Field): string => (f.kind === 'bytes' ? Buffer.from(f.value).toString('utf8') : '');
const hex = (f: Field): string => (f.kind === 'bytes' ? Buffer.from(f.value).toString('hex') : '');
const int = (f: Field): bigint => (f.kind === 'int' ? f.value : 0n);

function readValue(f: Field): OtlpValue {
  let value: OtlpValue = { stringValue: '' };
  for (const v of sub(f, 'AnyValue')) {
    if (v.no === 1) value = { stringValue: text(v) };
    else if (v.no === 2) value = { boolValue: int(v) !== 0n };
    else if (v.no === 3) value = { intValue: String(BigInt.asIntN(64, int(v))) };
  }
  return value;
}

function readAttribute(f: Field): OtlpAttribute {
  let key = '';
  let value: OtlpValue = { stringValue: '' };
  for (const a of sub(f, 'KeyValue')) {
    if (a.no === 1) key = text(a);
    else if (a.no === 2) value = readValue(a);
  }
  return { key, value };
}

function readSpan(f: Field): OtlpSpan {
  let traceId = '';
  let spanId = '';
  let parentSpanId: string | undefined;
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attributes: OtlpAttribute[] = [];
  const events: { timeUnixNano: string; name: string }[] = [];
  let status: { code: 0 | 2; message?: string } = { code: 0 };
  for (const s of sub(f, 'Span')) {
    if (s.no === 1) traceId = hex(s);
    else if (s.no === 2) spanId = hex(s);
    else if (s.no === 4) parentSpanId = hex(s) || undefined;
    else if (s.no === 5) name = text(s);
    else if (s.no === 6) kind = Number(int(s));
    else if (s.no === 7) start = int(s);
    else if (s.no === 8) end = int(s);
    else if (s.no === 9) attributes.push(readAttribute(s));
    else if (s.no === 11) {
      let time = 0n;
      let eventName = '';
      for (const e of sub(s, 'Event')) {
        if (e.no === 1) time = int(e);
        else if (e.no === 2) eventName = text(e);
      }
      events.push({ timeUnixNano: String(time), name: eventName });
    } else if (s.no === 15) {
      let code = 0;
      let message: string | undefined;
      for (const st of sub(s, 'Status')) {
        if (st.no === 2) message = text(st);
        else if (st.no === 3) code = Number(int(st));
      }
      status = { code: code as 0 | 2, ...(message !== undefined ? { message } : {}) };
    }
  }
  return {
    traceId,
    spanId,
    ...(parentSpanId !== undefined ? { parentSpanId } : {}),
    name,
    kind: kind as 2 | 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(end),
    attributes,
    events,
    status,
  };
}

/**
 * An `ExportTraceServiceRequest` in protobuf back to the JSON form (ids as hex, times and
 * integers as decimal strings; absent fields take proto3 defaults). Throws a `TelemetryError`
 * `SY_ERR_TELEMETRY_OTLP_DECODE` naming the byte offset of malformed input.
 */
export function decodeOtlpProtobuf(bytes: Uint8Array): OtlpTraceRequest {
  const resourceSpans: OtlpTraceRequest['resourceSpans'][number][] = [];
  for (const rsField of fields(bytes, 0)) {
    if (rsField.no !== 1) continue;
    const attributes: OtlpAttribute[] = [];
    const scopeSpans: OtlpTraceRequest['resourceSpans'][number]['scopeSpans'][number][] = [];
    for (const r of sub(rsField, 'ResourceSpans')) {
      if (r.no === 1) {
        for (const a of sub(r, 'Resource')) if (a.no === 1) attributes.push(readAttribute(a));
      } else if (r.no === 2) {
        const scope = { name: '', version: '' };
        const spans: OtlpSpan[] = [];
        for (const s of sub(r, 'ScopeSpans')) {
          if (s.no === 1) {
            for (const i of sub(s, 'InstrumentationScope')) {
              if (i.no === 1) scope.name = text(i);
              else if (i.no === 2) scope.version = text(i);
            }
          } else if (s.no === 2) spans.push(readSpan(s));
        }
        scopeSpans.push({ scope, spans });
      }
    }
    resourceSpans.push({ resource: { attributes }, scopeSpans });
  }
  return { resourceSpans };
}

/**
 * `ExportTraceServiceResponse.partial_success.rejected_spans` from a protobuf answer (0 when
 * absent or unreadable: the 2xx status already said the batch was taken).
 */
export function rejectedSpansOf(bytes: Uint8Array): number {
  try {
    for (const f of fields(bytes, 0))
      if (f.no === 1)
        for (const p of sub(f, 'ExportTracePartialSuccess')) if (p.no === 1) return Number(int(p));
  } catch {
    // A malformed body on a 2xx is still a success.
  }
  return 0;
}
