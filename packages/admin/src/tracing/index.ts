/**
 * @packageDocumentation
 * Tracing for Switchyard routers (`@switchyard/admin/tracing`): W3C `traceparent`, B3 and
 * Linkerd `l5d-ctx-trace` propagation, spans per request and per attempt, and a batching Zipkin
 * v2 HTTP exporter (`io.l5d.zipkin`).
 */
export type {
  ExtractedTraceContext,
  TraceContext,
  TraceFormat,
  TraceHeaders,
  TracePropagationOptions,
} from './trace-context.js';
export {
  extractTraceContext,
  formatL5dCtxTrace,
  formatTraceparent,
  injectTraceContext,
  parseB3Single,
  parseL5dCtxTrace,
  parseTraceparent,
  readL5dSample,
  TRACE_HEADERS,
} from './trace-context.js';
export type {
  Span,
  SpanExporter,
  SpanKind,
  StartSpanOptions,
  Tracer,
  TracerOptions,
  ZipkinEndpoint,
  ZipkinSpan,
} from './tracer.js';
export { createTracer } from './tracer.js';
export type { ZipkinErrorEvent, ZipkinExporterOptions, ZipkinTelemeterConfig } from './zipkin.js';
export { createZipkinTracing, ZipkinExporter } from './zipkin.js';
