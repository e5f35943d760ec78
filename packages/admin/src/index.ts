/**
 * @packageDocumentation
 * The admin server: ping, readiness, metrics (JSON and Prometheus), delegator, config, and the
 * live dashboard; plus access-log formatting and the recent-requests buffer. Tracing lives in
 * `@switchyard/admin/tracing` and is re-exported here.
 */
export type { AccessLogEntry } from './access-log.js';
export { formatAccessLogTime, formatHttpAccessLog, formatJsonAccessLog } from './access-log.js';
export type { AdminControlOptions } from './bearer-token.js';
export { MIN_TOKEN_LENGTH } from './bearer-token.js';
export type {
  ClientFeed,
  DashboardFeed,
  EventLoopLag,
  LatencySummary,
  ProcessInfo,
  RequestTotals,
  RouterFeed,
  ServerFeed,
  ServiceFeed,
} from './dashboard-feed.js';
export type { AdminErrorCode } from './errors.js';
export { AdminError } from './errors.js';
export type { MetricsTree } from './metrics-json.js';
export { flattenMetrics, metricKey, treeMetrics } from './metrics-json.js';
export type { PrometheusOptions } from './prometheus.js';
export { formatPrometheus } from './prometheus.js';
export type { PrometheusName } from './prometheus-names.js';
export { prometheusName, sanitizeMetricName } from './prometheus-names.js';
export type { RecentRequests, RecentRequestsConfig } from './recent-requests.js';
export { createRecentRequests } from './recent-requests.js';
export { isSecretKey, REDACTED, redactConfig } from './redact.js';
export type { ObservedLayer, ObservedRequest, RequestLogOptions } from './request-layers.js';
export { attemptTracingLayer, requestLogLayer, tracingLayer } from './request-layers.js';
export type {
  AdminErrorEvent,
  AdminProbeOptions,
  AdminRouteHandler,
  AdminServerOptions,
} from './server.js';
export { ADMIN_VERSION, AdminServer, createAdminServer } from './server.js';
export type { RouterStacksDocument } from './stacks.js';
export type {
  ExtractedTraceContext,
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
  ZipkinErrorEvent,
  ZipkinExporterOptions,
  ZipkinSpan,
  ZipkinTelemeterConfig,
} from './tracing/index.js';
export {
  createTracer,
  createZipkinTracing,
  extractTraceContext,
  injectTraceContext,
  readL5dSample,
  ZipkinExporter,
} from './tracing/index.js';
export type {
  AdminClientView,
  AdminEndpointView,
  AdminIngressRuleView,
  AdminLayerView,
  AdminRouterView,
  AdminServerView,
  AdminStacksView,
  CertificateView,
  EndpointState,
  MetricsSource,
  ReadinessSource,
  RecentRequest,
} from './views.js';
