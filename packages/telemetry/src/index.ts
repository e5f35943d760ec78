/**
 * @packageDocumentation
 * Telemetry for Switchyard routers: the metrics formats (Linkerd's `metrics.json`, Prometheus
 * text), the request-telemetry layers (a span per request and per attempt, the request log),
 * access-log formats and the recent-requests table. Tracing primitives are also at
 * `@switchyard/telemetry/tracing`; the exporters are optional subpaths
 * (`@switchyard/telemetry/zipkin`, `@switchyard/telemetry/otlp`).
 */
export type { AccessLogEntry, AccessLogFormat } from './access-log.js';
export {
  ACCESS_LOG_FORMATS,
  accessLogFormatter,
  formatCommonLog,
  formatHttpAccessLog,
  formatJsonAccessLog,
} from './access-log.js';
export type { TelemetryErrorCode } from './errors.js';
export { TelemetryError } from './errors.js';
export type { MetricsTree } from './metrics-json.js';
export { flattenMetrics, treeMetrics } from './metrics-json.js';
export type {
  ObservedBound,
  ObservedClientRequest,
  ObservedClientResponse,
  ObservedExchange,
  ObservedHead,
  ObservedHeaders,
  ObservedHeldResponse,
  ObservedInbound,
  ObservedRecord,
  TelemetryClientLayer,
  TelemetryServerLayer,
} from './observed.js';
export type { PrometheusOptions } from './prometheus.js';
export { formatPrometheus } from './prometheus.js';
export type { PrometheusName } from './prometheus-names.js';
export { prometheusName, sanitizeMetricName } from './prometheus-names.js';
export type { RecentRequest, RecentRequests, RecentRequestsConfig } from './recent-requests.js';
export { createRecentRequests } from './recent-requests.js';
export type { RequestLogOptions } from './request-log.js';
export { requestLogServerLayer } from './request-log.js';
export type {
  ExtractedTraceContext,
  PropagationFormat,
  Span,
  SpanExporter,
  SpanKind,
  StartSpanOptions,
  TraceContext,
  TraceFormat,
  TraceHeaders,
  TracePropagationOptions,
  Tracer,
  TracerOptions,
  ZipkinEndpoint,
  ZipkinSpan,
} from './tracing/index.js';
export {
  createTracer,
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  PROPAGATION_FORMATS,
  parseTraceparent,
  readL5dSample,
} from './tracing/index.js';
export {
  attemptTracingClientLayer,
  REQUEST_ID_SPAN_TAG,
  requestSpanOf,
  tracingServerLayer,
} from './tracing-layers.js';
