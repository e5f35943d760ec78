/**
 * Trace context propagation: reading and writing W3C `traceparent`, Zipkin B3 (multi-header and
 * single `b3`) and Linkerd 1's `l5d-ctx-trace`. Pure functions over header records, so the router
 * calls them on its own request objects and tests need no server.
 *
 * References: W3C Trace Context level 1 (§3.2 traceparent), openzipkin/b3-propagation, finagle
 * `TraceId.serialize` (32 or 40 big-endian bytes: span, parent, trace, flags[, trace-high]).
 */

/** A header record as Node delivers it (lower-case names). */
export type TraceHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Where a context was read from. */
export type TraceFormat = 'w3c' | 'b3' | 'b3-single' | 'l5d';

/**
 * The identity of one span. `traceId` is 16 or 32 lower-case hex digits (64- or 128-bit),
 * `spanId`/`parentSpanId` 16. `sampled` is the upstream decision, `undefined` when none was made.
 */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly sampled?: boolean;
  /** Force sampling (B3 `x-b3-flags: 1`, finagle's Debug flag). */
  readonly debug?: boolean;
  /** W3C `tracestate`, forwarded verbatim. */
  readonly tracestate?: string;
}

/** An extracted context with the format it came in. */
export interface ExtractedTraceContext extends TraceContext {
  readonly format: TraceFormat;
}

/**
 * A format {@link injectTraceContext} can write: W3C `traceparent` (+ `tracestate`), B3
 * multi-header, single `b3`, Linkerd's `l5d-ctx-trace`.
 */
export type PropagationFormat = 'w3c' | 'b3' | 'b3-single' | 'l5d';

/** Every {@link PropagationFormat}. */
export const PROPAGATION_FORMATS: readonly PropagationFormat[] = Object.freeze([
  'w3c',
  'b3',
  'b3-single',
  'l5d',
]);

/** Options of {@link extractTraceContext} and {@link injectTraceContext}. */
export interface TracePropagationOptions {
  /**
   * The server's `clearContext`. When true, `l5d-ctx-trace` is neither read (the client is
   * untrusted) nor written. Default false, Linkerd's default.
   */
  readonly clearContext?: boolean;
  /** Also write the single `b3` header. Default false (multi-header B3 is written). */
  readonly b3Single?: boolean;
  /**
   * The formats to write, replacing the default (`w3c`, `b3`, `l5d`, plus `b3-single` with
   * `b3Single`). `l5d` is still not written under `clearContext`. Reading accepts every format.
   */
  readonly inject?: readonly PropagationFormat[];
}

/** Every header this module reads or writes. */
export const TRACE_HEADERS: readonly string[] = Object.freeze([
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'l5d-ctx-trace',
]);

const TRACE_HEADER_SET: ReadonlySet<string> = new Set(TRACE_HEADERS);

const HEX16 = /^[0-9a-f]{16}$/;
const TRACE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const ZERO = /^0+$/;

function header(headers: TraceHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v[0];
}

const validTrace = (id: string) => TRACE_ID.test(id) && !ZERO.test(id);
const validSpan = (id: string) => HEX16.test(id) && !ZERO.test(id);

/** Parses a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`); `undefined` when invalid. */
export function parseTraceparent(value: string, tracestate?: string): TraceContext | undefined {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has exactly four fields; later versions may add more.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (!validTrace(traceId) || !validSpan(spanId)) return undefined;
  const sampled = (Number.parseInt(flags, 16) & 1) === 1;
  return {
    traceId,
    spanId,
    sampled,
    ...(tracestate !== undefined && tracestate !== '' ? { tracestate } : {}),
  };
}

/** Formats a W3C `traceparent` for `ctx` (64-bit trace ids are left-padded to 128 bits). */
export function formatTraceparent(ctx: TraceContext): string {
  const sampled = ctx.sampled === true || ctx.debug === true;
  return `00-${ctx.traceId.padStart(32, '0')}-${ctx.spanId}-${sampled ? '01' : '00'}`;
}

function b3Sampled(v: string | undefined): boolean | undefined {
  if (v === '1' || v === 'true' || v === 'd') return true;
  if (v === '0' || v === 'false') return false;
  return undefined;
}

/** Parses the single `b3` header (`{trace}-{span}[-{sampled}[-{parent}]]`); decision-only values give `undefined`. */
export function parseB3Single(value: string): TraceContext | undefined {
  const parts = value.trim().toLowerCase().split('-');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const [traceId, spanId, flag, parent] = parts as [string, string, string?, string?];
  if (!validTrace(traceId) || !validSpan(spanId)) return undefined;
  if (flag !== undefined && !['0', '1', 'd'].includes(flag)) return undefined;
  if (parent !== undefined && !validSpan(parent)) return undefined;
  const sampled = b3Sampled(flag);
  return {
    traceId,
    spanId,
    ...(parent !== undefined ? { parentSpanId: parent } : {}),
    ...(sampled !== undefined ? { sampled } : {}),
    ...(flag === 'd' ? { debug: true } : {}),
  };
}

function parseB3Multi(headers: TraceHeaders): TraceContext | undefined {
  const traceId = header(headers, 'x-b3-traceid')?.trim().toLowerCase();
  const spanId = header(headers, 'x-b3-spanid')?.trim().toLowerCase();
  if (traceId === undefined || spanId === undefined || !validTrace(traceId) || !validSpan(spanId))
    return undefined;
  const parent = header(headers, 'x-b3-parentspanid')?.trim().toLowerCase();
  const debug = header(headers, 'x-b3-flags')?.trim() === '1';
  const sampled = debug ? true : b3Sampled(header(headers, 'x-b3-sampled')?.trim().toLowerCase());
  return {
    traceId,
    spanId,
    ...(parent !== undefined && validSpan(parent) ? { parentSpanId: parent } : {}),
    ...(sampled !== undefined ? { sampled } : {}),
    ...(debug ? { debug } : {}),
  };
}

// finagle `Flags`: Debug = 1 << 0, SamplingKnown = 1 << 1, Sampled = 1 << 2.
const FLAG_DEBUG = 1n;
const FLAG_SAMPLING_KNOWN = 2n;
const FLAG_SAMPLED = 4n;

const hex64 = (v: bigint) => v.toString(16).padStart(16, '0');

/** Parses `l5d-ctx-trace` (base64 of finagle's 32- or 40-byte serialized TraceId). */
export function parseL5dCtxTrace(value: string): TraceContext | undefined {
  const bytes = Buffer.from(value.trim(), 'base64');
  if (bytes.length !== 32 && bytes.length !== 40) return undefined;
  const spanId = hex64(bytes.readBigUInt64BE(0));
  const parentId = hex64(bytes.readBigUInt64BE(8));
  const low = hex64(bytes.readBigUInt64BE(16));
  const flags = bytes.readBigUInt64BE(24);
  const traceId = bytes.length === 40 ? hex64(bytes.readBigUInt64BE(32)) + low : low;
  if (!validTrace(traceId) || !validSpan(spanId)) return undefined;
  const debug = (flags & FLAG_DEBUG) !== 0n;
  const known = (flags & FLAG_SAMPLING_KNOWN) !== 0n;
  return {
    traceId,
    spanId,
    // finagle sets parentId = spanId on a root span.
    ...(parentId !== spanId && !ZERO.test(parentId) ? { parentSpanId: parentId } : {}),
    ...(debug ? { debug, sampled: true } : known ? { sampled: (flags & FLAG_SAMPLED) !== 0n } : {}),
  };
}

/** The value of each hex digit by char code, -1 for anything else. */
const HEX_VALUE = Int8Array.from({ length: 128 }, (_, c) => {
  const i = '0123456789abcdef'.indexOf(String.fromCharCode(c).toLowerCase());
  return i;
});

/** Writes 16 hex digits as 8 bytes at `offset`; false when `hex` is not exactly that. */
function writeId(bytes: Uint8Array, hex: string, offset: number): boolean {
  if (hex.length !== 16) return false;
  for (let i = 0; i < 8; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    bytes[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * Formats `l5d-ctx-trace` for `ctx` (40 bytes when the trace id is 128-bit). The ids are copied
 * as hex straight into the buffer (no BigInt per id: this runs for every sampled attempt).
 * @throws {SyntaxError} when an id of `ctx` is not 16 (span) or 16/32 (trace) hex digits.
 */
export function formatL5dCtxTrace(ctx: TraceContext): string {
  const wide = ctx.traceId.length === 32;
  const bytes = SCRATCH;
  bytes.fill(0);
  const ok =
    writeId(bytes, ctx.spanId, 0) &&
    writeId(bytes, ctx.parentSpanId ?? ctx.spanId, 8) &&
    writeId(bytes, wide ? ctx.traceId.slice(16) : ctx.traceId, 16) &&
    (!wide || writeId(bytes, ctx.traceId.slice(0, 16), 32));
  if (!ok) throw new SyntaxError(`l5d-ctx-trace: ids must be hex (trace ${ctx.traceId}, span ${ctx.spanId})`);
  let flags = 0;
  if (ctx.debug === true) flags |= Number(FLAG_DEBUG);
  if (ctx.sampled !== undefined)
    flags |= Number(FLAG_SAMPLING_KNOWN) | (ctx.sampled ? Number(FLAG_SAMPLED) : 0);
  // The flags are a big-endian 64-bit word at 24; every flag lives in its last byte.
  bytes[31] = flags;
  return base64(bytes, wide ? 40 : 32);
}

/** One buffer for every {@link formatL5dCtxTrace} call (synchronous, so never shared in flight). */
const SCRATCH = new Uint8Array(40);
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 of the first `n` bytes of `b`, padded (in JS: a native call costs more at this size). */
function base64(b: Uint8Array, n: number): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  if (n - i === 1) {
    const v = b[i]! << 16;
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}==`;
  } else if (n - i === 2) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8);
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}${B64[(v >> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Reads the caller's trace context from request headers, trying in order W3C `traceparent`,
 * single `b3`, multi-header B3, then `l5d-ctx-trace` (unless `clearContext`). Invalid or
 * decision-only headers are skipped; `undefined` means "start a new trace".
 */
export function extractTraceContext(
  headers: TraceHeaders,
  options: TracePropagationOptions = {},
): ExtractedTraceContext | undefined {
  const tp = header(headers, 'traceparent');
  if (tp !== undefined) {
    const ctx = parseTraceparent(tp, header(headers, 'tracestate'));
    if (ctx !== undefined) return { ...ctx, format: 'w3c' };
  }
  const single = header(headers, 'b3');
  if (single !== undefined) {
    const ctx = parseB3Single(single);
    if (ctx !== undefined) return { ...ctx, format: 'b3-single' };
  }
  const multi = parseB3Multi(headers);
  if (multi !== undefined) return { ...multi, format: 'b3' };
  if (options.clearContext !== true) {
    const l5d = header(headers, 'l5d-ctx-trace');
    if (l5d !== undefined) {
      const ctx = parseL5dCtxTrace(l5d);
      if (ctx !== undefined) return { ...ctx, format: 'l5d' };
    }
  }
  return undefined;
}

/**
 * The router's key (`Symbol.for`, so no import of the router) of a request head's raw-list
 * `headers` view: a function making a new view without some fields and with others appended,
 * so propagation does not turn the router's field list into an object.
 */
const ROUTER_WITH_FIELDS = Symbol.for('switchyard.router.withFields');

type WithFields = (drop: (lower: string) => boolean, add: readonly string[]) => Record<string, string>;

const isTraceHeader = (lower: string): boolean => TRACE_HEADER_SET.has(lower);

/**
 * Returns a copy of `headers` that carries `ctx` (the span making the outgoing request): stale
 * trace headers (every format) are removed, then `traceparent` (+ `tracestate`), B3
 * multi-headers (and `b3` with `b3Single`), and `l5d-ctx-trace` unless `clearContext` — or only
 * the formats listed in `inject`. The input is not modified. A router head's raw-list view is
 * copied as a view (the router's `withFields`), never as an object.
 */
export function injectTraceContext<V extends string | readonly string[] | undefined>(
  headers: Readonly<Record<string, V>>,
  ctx: TraceContext,
  options: TracePropagationOptions = {},
): Record<string, V | string> {
  const add: string[] = [];
  const formats = options.inject;
  const w3c = formats === undefined || formats.includes('w3c');
  const b3 = formats === undefined || formats.includes('b3');
  const b3Single = formats === undefined ? options.b3Single === true : formats.includes('b3-single');
  const l5d = (formats === undefined || formats.includes('l5d')) && options.clearContext !== true;
  if (w3c) {
    add.push('traceparent', formatTraceparent(ctx));
    if (ctx.tracestate !== undefined) add.push('tracestate', ctx.tracestate);
  }
  if (b3) {
    add.push('x-b3-traceid', ctx.traceId, 'x-b3-spanid', ctx.spanId);
    if (ctx.parentSpanId !== undefined) add.push('x-b3-parentspanid', ctx.parentSpanId);
    if (ctx.debug === true) add.push('x-b3-flags', '1');
    else if (ctx.sampled !== undefined) add.push('x-b3-sampled', ctx.sampled ? '1' : '0');
  }
  if (b3Single) {
    const flag = ctx.debug === true ? '-d' : ctx.sampled === undefined ? '' : ctx.sampled ? '-1' : '-0';
    const parent = ctx.parentSpanId !== undefined && flag !== '' ? `-${ctx.parentSpanId}` : '';
    add.push('b3', `${ctx.traceId}-${ctx.spanId}${flag}${parent}`);
  }
  if (l5d) add.push('l5d-ctx-trace', formatL5dCtxTrace(ctx));
  const withFields = (headers as { readonly [ROUTER_WITH_FIELDS]?: WithFields })[ROUTER_WITH_FIELDS];
  if (typeof withFields === 'function') return withFields(isTraceHeader, add);
  const out: Record<string, V | string> = {};
  for (const k in headers) if (!TRACE_HEADER_SET.has(k.toLowerCase())) out[k] = headers[k] as V;
  for (let i = 0; i < add.length; i += 2) out[add[i]!] = add[i + 1]!;
  return out;
}

/** Linkerd's `l5d-sample` request header: a sample rate override, clamped to [0, 1]. */
export function readL5dSample(
  headers: TraceHeaders,
  options: TracePropagationOptions = {},
): number | undefined {
  if (options.clearContext === true) return undefined;
  const v = header(headers, 'l5d-sample');
  if (v === undefined) return undefined;
  const n = Number.parseFloat(v);
  return Number.isNaN(n) ? undefined : Math.min(1, Math.max(0, n));
}
