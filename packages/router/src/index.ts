/**
 * @packageDocumentation
 * The HTTP data path: server, identification, binding, balancing, pooled undici dispatch,
 * streaming, limits, errors — Linkerd 1's HTTP router as composable layers.
 */

export { diagnostics } from './channels.js';
export type { Client } from './client/client.js';
export type { ClientPoolOptions, ClientProtocol } from './endpoint.js';
export type { StackEntry } from './entry.js';
export type { LocalAnswer, LocalAnswerCode, NoRouteReason, RouterErrorCode } from './errors.js';
export {
  AttemptTimeoutError,
  BackendRequestTimeoutError,
  BadDtabHeaderError,
  BadRequestError,
  BindingTimeoutError,
  BodyTooLargeError,
  ConnectFailedError,
  HttpVersionNotSupportedError,
  InvalidRouterOptionsError,
  LocalAnswerError,
  MaxCallDepthError,
  MethodNotAllowedError,
  NoRouteError,
  OverloadedError,
  RouterClosedError,
  RouterError,
  RouteTimeoutError,
  TotalTimeoutError,
  UnforwardableRequestError,
  UnknownDestinationError,
  UpstreamFailedError,
} from './errors.js';
export type { ForwardedHeaderOptions } from './headers.js';
export type { HeldResponse } from './held-response.js';
export type {
  CreateServer,
  RouterClientOptions,
  RouterOptions,
  RouterServerOptions,
  RouterServiceOptions,
  RouterStackLayers,
  StackLayers,
} from './options.js';
export type { RequestRecord } from './record.js';
export type { Rescued, RescuedCode, RescueOptions } from './rescue.js';
export { rescue } from './rescue.js';
export type {
  PreparedServers,
  RouterCloseOptions,
  RouterLayerInfo,
  RouterPolicies,
  RouterServerChanges,
  RouterServerInfo,
  RouterServerReloadOptions,
} from './router.js';
export { createRouter, Router } from './router.js';
export { listenHasReusePort } from './server/reuse-port.js';
export type { ServerTimeoutOptions, ServerTimeouts } from './server-timeouts.js';
export { DEFAULT_SERVER_TIMEOUTS, validateServerTimeouts } from './server-timeouts.js';
export type { ServiceEntry } from './service.js';
export type { RouterStacks } from './stack.js';
export type {
  AttemptHandler,
  Bound,
  BoundHandler,
  ClientDeadline,
  ClientLayer,
  ClientRequest,
  ClientResponse,
  Exchange,
  Identified,
  Inbound,
  LocalDtab,
  PathLayer,
  RequestBody,
  ServerContext,
  ServerHandler,
  ServerLayer,
  Stage,
  UpgradeSocket,
} from './stages.js';
export { headOf, inboundOf, withHead, withHeaders } from './stages.js';
export type { BindingCacheOptions, RouterEviction, RouterInterpreter } from './types/binding.js';
export type { ClientState } from './types/client.js';
