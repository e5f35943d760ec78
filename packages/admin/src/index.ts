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
  DtabStoreDocument,
  DtabStoreFeed,
  EventLoopLag,
  LatencySummary,
  OverrideFeed,
  ProcessInfo,
  RequestTotals,
  RouterFeed,
  ServerFeed,
  ServiceFeed,
  WorkerFeed,
} from './dashboard/document.js';
export { podDashboardFeed, serverLoad } from './dashboard/feed.js';
export type { AdminErrorCode } from './errors.js';
export { AdminError } from './errors.js';
export type { AdminErrorEvent } from './guards.js';
export { redactConfig } from './redact.js';
export { AdminServer, createAdminServer } from './server.js';
export type {
  AdminConfigStatus,
  AdminProbeOptions,
  AdminRouteHandler,
  AdminServerOptions,
} from './server-options.js';
export type { RouterStacksDocument } from './stacks.js';
export type {
  AcmeCertificateView,
  AdminClientView,
  AdminDtabStoreUpdate,
  AdminDtabStoreView,
  AdminEndpointView,
  AdminIngressRuleView,
  AdminLayerView,
  AdminRouterView,
  AdminServerView,
  AdminStacksView,
  AdminStoredDtab,
  CertificateView,
  EndpointState,
  MetricsSource,
  ReadinessSource,
} from './views.js';
