/**
 * @packageDocumentation
 * The admin server: ping, readiness, metrics (JSON and Prometheus, rendered by
 * `@switchyard/telemetry`), delegator, config, redaction and the live dashboard. Tracing, access
 * logs, the recent-requests buffer and the metric formats live in `@switchyard/telemetry`.
 */

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
export { isSecretKey, REDACTED, redactConfig } from './redact.js';
export type {
  AdminErrorEvent,
  AdminProbeOptions,
  AdminRouteHandler,
  AdminServerOptions,
} from './server.js';
export { ADMIN_VERSION, AdminServer, createAdminServer } from './server.js';
export type { RouterStacksDocument } from './stacks.js';
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
} from './views.js';
