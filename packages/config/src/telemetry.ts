/**
 * Telemetry kinds (`telemetry[]`): Prometheus naming, Zipkin and OTLP tracing and the
 * recent-requests table, plus the access log file. Their router layers live in `@switchyard/telemetry`.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import {
  createRecentRequests,
  PROPAGATION_FORMATS,
  type PropagationFormat,
  type RecentRequests,
  type Tracer,
} from '@switchyard/telemetry';
import { createOtlpTracing, OTLP_ENCODINGS, type OtlpEncoding } from '@switchyard/telemetry/otlp';
import { createZipkinTracing } from '@switchyard/telemetry/zipkin';
import type { BuildContext } from './build-context.js';
import { createKindCategory, type KindCategory } from './registry.js';
import { list, number, object, optional, refine, reject, string, stringMap, withDefault } from './schema.js';

/** A built telemeter: what it contributes to routers and the admin. */
export type BuiltTelemeter =
  | { readonly kind: 'prometheus'; readonly prefix: string }
  | { readonly kind: 'tracer'; readonly tracer: Tracer }
  | { readonly kind: 'recentRequests'; readonly recent: RecentRequests };

/** An HTTP header name is an RFC 9110 token; a value has no CR, LF or NUL. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
function headerProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) return `"${name}" is not an HTTP header name`;
  if (/[\r\n\0]/.test(value)) return 'a header value cannot contain CR, LF or NUL';
  return undefined;
}

/** An http(s) URL. */
const httpUrl = refine(string({ nonEmpty: true }), (text) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return reject(`"${text}" is not a URL`, 'e.g. http://otel-collector:4318/v1/traces');
  }
  return url.protocol === 'http:' || url.protocol === 'https:'
    ? text
    : reject(`"${text}" is not an http or https URL`, 'OTLP/HTTP only (no gRPC)');
});

/** The trace header formats a tracer writes upstream (reading accepts all). */
const propagation = list(string({ values: PROPAGATION_FORMATS }), { nonEmpty: true });

/** Telemeter kinds: io.l5d.prometheus, io.l5d.zipkin, io.l5d.otlp, io.l5d.recentRequests. */
export function telemeterKinds(): KindCategory<BuiltTelemeter, BuildContext> {
  const kinds = createKindCategory<BuiltTelemeter, BuildContext>('telemeter');
  kinds.register({
    kind: 'io.l5d.prometheus',
    doc: 'Prometheus text exposition at /admin/metrics/prometheus (always served; this sets the prefix).',
    schema: object({
      prefix: withDefault(string(), '', 'Prefix for every metric name.'),
      path: withDefault(
        string({ values: ['/admin/metrics/prometheus'] }),
        '/admin/metrics/prometheus',
        'Fixed path.',
      ),
    }),
    build: (o) => ({ kind: 'prometheus', prefix: o.prefix }),
  });
  kinds.register({
    kind: 'io.l5d.zipkin',
    doc: 'Spans per request exported to Zipkin v2 JSON over HTTP, batched off the request path.',
    schema: object({
      host: withDefault(string({ nonEmpty: true }), 'localhost', 'Zipkin collector host.'),
      port: withDefault(number({ integer: true, min: 1, max: 65535 }), 9411, 'Zipkin collector HTTP port.'),
      sampleRate: withDefault(number({ min: 0, max: 1 }), 0.001, 'Fraction of new traces sampled.'),
      serviceName: optional(string(), 'localEndpoint.serviceName; default switchyard.'),
      propagation: withDefault(
        propagation,
        ['w3c', 'b3', 'l5d'],
        'Trace headers written upstream: w3c, b3, b3-single, l5d (l5d-ctx-trace, never under clearContext).',
      ),
    }),
    build: (o, c) => {
      const { tracer, exporter } = createZipkinTracing(
        {
          kind: 'io.l5d.zipkin',
          host: o.host,
          port: o.port,
          sampleRate: o.sampleRate,
          // The schema admits only PROPAGATION_FORMATS.
          propagation: o.propagation as PropagationFormat[],
          ...(o.serviceName ? { serviceName: o.serviceName } : {}),
        },
        { clock: c.clock, stats: c.stats },
      );
      c.onClose(() => exporter.close());
      return { kind: 'tracer', tracer };
    },
  });
  kinds.register({
    kind: 'io.l5d.otlp',
    doc: 'Spans per request exported to an OpenTelemetry collector over OTLP/HTTP (protobuf or JSON), batched off the request path; bounded queue, retries with back-off.',
    schema: object({
      endpoint: withDefault(
        httpUrl,
        'http://localhost:4318/v1/traces',
        'The collector traces URL (OTLP/HTTP).',
      ),
      encoding: withDefault(
        string({ values: OTLP_ENCODINGS }),
        'protobuf',
        'Body encoding: protobuf (application/x-protobuf, the OTLP default) or json (application/json).',
      ),
      headers: optional(stringMap(headerProblem), 'Request headers, e.g. authorization.'),
      sampleRate: withDefault(number({ min: 0, max: 1 }), 0.001, 'Fraction of new traces sampled.'),
      serviceName: optional(
        string({ nonEmpty: true }),
        'Resource service.name; default OTEL_SERVICE_NAME, else switchyard.',
      ),
      resourceAttributes: optional(
        stringMap(),
        'More resource attributes; over OTEL_RESOURCE_ATTRIBUTES and POD_NAME/POD_NAMESPACE/NODE_NAME.',
      ),
      batchSize: withDefault(number({ integer: true, min: 1 }), 512, 'Spans per request.'),
      flushIntervalMs: withDefault(number({ integer: true, min: 1 }), 1000, 'Longest a span waits, ms.'),
      maxQueue: withDefault(
        number({ integer: true, min: 1 }),
        2048,
        'Spans held; more are dropped and counted.',
      ),
      timeoutMs: withDefault(number({ integer: true, min: 1 }), 10000, 'Per-request timeout, ms.'),
      maxAttempts: withDefault(
        number({ integer: true, min: 1 }),
        5,
        'Tries per batch on retryable failures.',
      ),
      propagation: withDefault(
        propagation,
        ['w3c'],
        'Trace headers written upstream: w3c, b3, b3-single, l5d (l5d-ctx-trace, never under clearContext).',
      ),
    }),
    build: (o, c) => {
      const { tracer, exporter } = createOtlpTracing(
        {
          kind: 'io.l5d.otlp',
          endpoint: o.endpoint,
          // The schema admits only OTLP_ENCODINGS.
          encoding: o.encoding as OtlpEncoding,
          sampleRate: o.sampleRate,
          batchSize: o.batchSize,
          flushIntervalMs: o.flushIntervalMs,
          maxQueue: o.maxQueue,
          timeoutMs: o.timeoutMs,
          maxAttempts: o.maxAttempts,
          propagation: o.propagation as PropagationFormat[],
          ...(o.headers ? { headers: o.headers } : {}),
          ...(o.serviceName ? { serviceName: o.serviceName } : {}),
          ...(o.resourceAttributes ? { resourceAttributes: o.resourceAttributes } : {}),
        },
        { clock: c.clock, stats: c.stats },
      );
      c.onClose(() => exporter.close());
      return { kind: 'tracer', tracer };
    },
  });
  kinds.register({
    kind: 'io.l5d.recentRequests',
    doc: 'A sampled table of recent requests on the dashboard.',
    schema: object({
      sampleRate: withDefault(number({ min: 0, max: 1 }), 1, 'Fraction of requests kept.'),
      capacity: withDefault(number({ integer: true, min: 1 }), 10, 'Requests kept.'),
    }),
    build: (o) => ({ kind: 'recentRequests', recent: createRecentRequests(o) }),
  });
  return kinds;
}

/** Opens an access log for appending (Linkerd's `httpAccessLog`), closed with the linker. */
export function openAccessLog(file: string, context: BuildContext): (line: string) => void {
  const stream = createWriteStream(resolve(context.baseDir, file), { flags: 'a' });
  context.onClose(() => new Promise<void>((done) => stream.end(done)));
  return (line) => stream.write(line);
}
