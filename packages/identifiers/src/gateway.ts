/**
 * @packageDocumentation
 * `io.l5d.httproute`: names HTTP requests by Kubernetes Gateway API HTTPRoutes attached to our
 * Gateways (GatewayClass `controllerName`), matching exactly as the Gateway API specifies
 * (hostname intersection, Exact/PathPrefix/RegularExpression paths, headers, query parameters,
 * method, and the spec's precedence), from the Kubernetes API, a directory of manifests, or a
 * static list. Weighted backends are named as a per-request dtab union. Status is computed by pure
 * functions and written by a leader-gated writer.
 */

export type { HttpRouteActions, HttpRouteIdentified, MirrorRecord } from './gateway/actions.js';
export { httpRouteActionsOf } from './gateway/actions.js';
export type { ListenerAttachment, Ownership, ParentResult } from './gateway/attach.js';
export type { BackendContext, BackendProblem, RuleTarget } from './gateway/backends.js';
export type { GatewayIdentifierErrorCode } from './gateway/errors.js';
export {
  GatewayConfigError,
  GatewayProblemError,
  GatewaySourceError,
  GatewayStatusError,
} from './gateway/errors.js';
export type { Redirect } from './gateway/filters.js';
export type { FiltersLayer, FiltersLayerInbound } from './gateway/filters-layer.js';
export { httpRouteFiltersLayer } from './gateway/filters-layer.js';
export type { ReferenceFrom, ReferenceTo } from './gateway/grants.js';
export type {
  GrpcIndexEntry,
  GrpcMatchRecord,
  GrpcNameMatch,
  GrpcRouteIndex,
  GrpcRouteRecord,
  GrpcRuleRecord,
} from './gateway/grpc.js';
export { normalizeGrpcRoute } from './gateway/grpc.js';
export { covers } from './gateway/hostnames.js';
export { createHttpRouteIdentifier } from './gateway/identifier.js';
export type {
  GatewayChange,
  GatewayRequestHead,
  HttpRouteIdentifier,
  HttpRouteIdentifierOptions,
} from './gateway/identifier-api.js';
export {
  DEFAULT_GATEWAY_CONTROLLER,
  GATEWAY_PROBLEM_CHANNEL,
  HTTPROUTE_KIND,
  NO_ROUTE_MATCHES,
} from './gateway/identifier-api.js';
export type { RequestMirror, RequestMirrorOptions } from './gateway/mirror.js';
export { createRequestMirror } from './gateway/mirror.js';
export type {
  BackendRefRecord,
  GatewayClassRecord,
  GatewayRecord,
  HttpRouteRecord,
  ListenerRecord,
  MatchRecord,
  ParentRefRecord,
  PathMatchRecord,
  ReferenceGrantRecord,
  RuleRecord,
  ValueMatchRecord,
} from './gateway/model.js';
export { GATEWAY_GROUP } from './gateway/model.js';
export type { IndexEntry, IndexInput, RouteIndex } from './gateway/route-index.js';
export type { GrpcRoutesInput } from './gateway/route-table.js';
export type { GatewayObjectKind, GatewaySource } from './gateway/sources.js';
export type { GatewayProblem, GatewayState, GatewayTlsSecret, HttpRouteRuleView } from './gateway/state.js';
export {
  condition,
  gatewayClassStatus,
  gatewayStatus,
  grpcRouteParents,
  httpRouteParents,
} from './gateway/status.js';
export type { GatewayStatusWriter, GatewayStatusWriterOptions } from './gateway/status-writer.js';
export { GATEWAY_STATUS_CHANNEL, startGatewayStatusWriter } from './gateway/status-writer.js';
export type { RuleTimeouts } from './gateway/timeouts.js';
