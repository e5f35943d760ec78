/**
 * @packageDocumentation
 * Tracing for Switchyard routers (`@switchyard/telemetry/tracing`): W3C `traceparent`, B3 and
 * Linkerd `l5d-ctx-trace` propagation and spans per request and per attempt. Exporters are
 * their own subpaths: `@switchyard/telemetry/zipkin` and `@switchyard/telemetry/otlp`.
 */
export type {
  ExtractedTraceContext,
  PropagationFormat,
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
  PROPAGATION_FORMATS,
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
