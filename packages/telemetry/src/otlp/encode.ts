/**
 * OTLP/HTTP JSON encoding of finished spans (also the input of the protobuf encoding in
 * `protobuf.ts`) (`ExportTraceServiceRequest`, opentelemetry-proto
 * `trace/v1`, JSON mapping as the OTLP specification defines it): ids are lower-case hex, times
 * are nanoseconds since the epoch as decimal strings, enums are integers. The tracer's finished
 * spans (`ZipkinSpan`, µs) are converted here, off the request path, when a batch is sent.
 */
import type { ZipkinSpan } from '../tracing/tracer.js';

/** An OTLP `AnyValue` as the exporter writes it. */
export type OtlpValue =
  | { readonly stringValue: string }
  | { readonly intValue: string }
  | { readonly boolValue: boolean };

/** An OTLP `KeyValue`. */
export interface OtlpAttribute {
  readonly key: string;
  readonly value: OtlpValue;
}

/** One span in OTLP JSON. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** `SPAN_KIND_SERVER` = 2, `SPAN_KIND_CLIENT` = 3. */
  readonly kind: 2 | 3;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly OtlpAttribute[];
  readonly events: readonly { readonly timeUnixNano: string; readonly name: string }[];
  /** `STATUS_CODE_UNSET` = 0, `STATUS_CODE_ERROR` = 2. */
  readonly status: { readonly code: 0 | 2; readonly message?: string };
}

/** The body of `POST /v1/traces` (JSON). */
export interface OtlpTraceRequest {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly OtlpAttribute[] };
    readonly scopeSpans: readonly {
      readonly scope: { readonly name: string; readonly version: string };
      readonly spans: readonly OtlpSpan[];
    }[];
  }[];
}

/** The instrumentation scope named in every request. */
export const OTLP_SCOPE = Object.freeze({ name: '@switchyard/telemetry', version: '0.1.0' });

/**
 * Zipkin-style tags the tracer sets, renamed to OpenTelemetry's HTTP semantic conventions;
 * integer-valued ones are sent as `intValue`. Other tags keep their names as strings.
 */
const SEMCONV: Readonly<Record<string, { readonly key: string; readonly int?: true }>> = {
  'http.method': { key: 'http.request.method' },
  'http.path': { key: 'url.path' },
  'http.status_code': { key: 'http.response.status_code', int: true },
};

/** 64-bit trace ids (B3, `l5d-ctx-trace`) are widened to OTLP's 128 bits with leading zeros. */
function traceId128(id: string): string {
  return id.length === 32 ? id : id.padStart(32, '0');
}

/** µs (a JS number) → ns as a decimal string, exact for any time a span can have. */
function nanos(us: number): string {
  return `${Math.round(us)}000`;
}

function attribute(key: string, value: string): OtlpAttribute {
  const mapped = SEMCONV[key];
  if (mapped?.int === true && /^-?\d+$/.test(value)) return { key: mapped.key, value: { intValue: value } };
  return { key: mapped?.key ?? key, value: { stringValue: value } };
}

/** One finished span in OTLP JSON. A tag `error`, or a SERVER span answering 5xx, sets ERROR. */
export function toOtlpSpan(span: ZipkinSpan): OtlpSpan {
  const attributes: OtlpAttribute[] = [];
  let error: string | undefined;
  for (const [key, value] of Object.entries(span.tags)) {
    if (key === 'error') error = value;
    else attributes.push(attribute(key, value));
  }
  const status = Number(span.tags['http.status_code']);
  if (error === undefined && span.kind === 'SERVER' && status >= 500) error = `HTTP ${status}`;
  if (span.remoteEndpoint?.ipv4 !== undefined || span.remoteEndpoint?.ipv6 !== undefined)
    attributes.push({
      key: 'server.address',
      value: { stringValue: (span.remoteEndpoint.ipv4 ?? span.remoteEndpoint.ipv6) as string },
    });
  if (span.remoteEndpoint?.port !== undefined)
    attributes.push({ key: 'server.port', value: { intValue: String(span.remoteEndpoint.port) } });
  return {
    traceId: traceId128(span.traceId),
    spanId: span.id,
    ...(span.parentId !== undefined ? { parentSpanId: span.parentId } : {}),
    name: span.name,
    kind: span.kind === 'SERVER' ? 2 : 3,
    startTimeUnixNano: nanos(span.timestamp),
    endTimeUnixNano: nanos(span.timestamp + span.duration),
    attributes,
    events: span.annotations.map((a) => ({ timeUnixNano: nanos(a.timestamp), name: a.value })),
    status: error === undefined ? { code: 0 } : { code: 2, message: error },
  };
}

/** A batch as one `ExportTraceServiceRequest`: one resource, one scope. */
export function encodeOtlpTraces(
  spans: readonly ZipkinSpan[],
  resource: readonly OtlpAttribute[],
): OtlpTraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: resource },
        scopeSpans: [{ scope: OTLP_SCOPE, spans: spans.map(toOtlpSpan) }],
      },
    ],
  };
}
