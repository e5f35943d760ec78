/**
 * The router's typed errors. Each one names a failure of the data path; `rescue()` at the edge
 * maps codes (walking `cause`) to a status and a text/plain body, so layers only ever throw.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/router`. */
export type RouterErrorCode =
  | 'SY_ERR_ROUTER_BAD_DTAB_HEADER'
  | 'SY_ERR_ROUTER_MAX_CALL_DEPTH'
  | 'SY_ERR_ROUTER_NO_ROUTE'
  | 'SY_ERR_ROUTER_BINDING_TIMEOUT'
  | 'SY_ERR_ROUTER_ATTEMPT_TIMEOUT'
  | 'SY_ERR_ROUTER_TOTAL_TIMEOUT'
  | 'SY_ERR_ROUTER_ROUTE_TIMEOUT'
  | 'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT'
  | 'SY_ERR_ROUTER_DEADLINE_EXCEEDED'
  | 'SY_ERR_ROUTER_CONNECT_FAILED'
  | 'SY_ERR_ROUTER_UPSTREAM_FAILED'
  | 'SY_ERR_ROUTER_OVERLOADED'
  | 'SY_ERR_ROUTER_BODY_TOO_LARGE'
  | 'SY_ERR_ROUTER_CLOSED'
  | 'SY_ERR_ROUTER_INVALID_OPTIONS'
  | 'SY_ERR_ROUTER_BAD_REQUEST'
  | 'SY_ERR_ROUTER_METHOD_NOT_ALLOWED'
  | 'SY_ERR_ROUTER_HTTP_VERSION'
  | 'SY_ERR_ROUTER_UNFORWARDABLE';

/** An identifier's verdict that it could not name the request, as an error (`SY_ERR_UNKNOWN_DST`). */
export class UnknownDestinationError extends SwitchyardError<'SY_ERR_UNKNOWN_DST'> {
  /** Status to answer with: 400, or what the identifier asked for (the ingress identifier: 404). */
  readonly status: number;
  constructor(request: string, reason: string, status = 400) {
    super('SY_ERR_UNKNOWN_DST', `Unknown destination: ${request} / ${reason}`);
    this.status = status;
  }
}

/**
 * Codes of coded local answers: a layer (e.g. `@switchyard/limits`) refuses a request with its own
 * status and headers, and the router's one error exit writes it (with `l5d-err`, clearContext
 * rules and the gRPC mapping, RESOURCE_EXHAUSTED).
 */
export type LocalAnswerCode = 'SY_ERR_RATE_LIMITED' | 'SY_ERR_OVERLOADED';

/**
 * What the error exit reads from an error with a {@link LocalAnswerCode}: any error of that shape
 * works (a package that does not import the router defines its own class), this one is for layers
 * that do.
 */
export interface LocalAnswer {
  readonly code: LocalAnswerCode;
  readonly message: string;
  /** 4xx or 5xx; anything else is answered 429 (rate limited) or 503 (overloaded). */
  readonly status: number;
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A layer's coded local answer (429 rate limited, 503 overloaded, or the status it names). */
export class LocalAnswerError extends SwitchyardError<LocalAnswerCode> implements LocalAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(
    code: LocalAnswerCode,
    message: string,
    options: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(code, message);
    this.status = options.status ?? (code === 'SY_ERR_RATE_LIMITED' ? 429 : 503);
    this.headers = options.headers;
  }
}

/** Base class of every router error. */
export class RouterError extends SwitchyardError<RouterErrorCode> {}

/** `l5d-dtab` / `l5d-ctx-dtab` (or `dtab-local`) could not be parsed. Answered with 400. */
export class BadDtabHeaderError extends RouterError {
  /** The offending header, lower-case. */
  readonly header: string;
  constructor(header: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('SY_ERR_ROUTER_BAD_DTAB_HEADER', `Invalid ${header} header: ${why}`, { cause });
    this.header = header;
  }
}

/** The request has passed through more proxies (counted from `Via`) than `maxCallDepth`. 400. */
export class MaxCallDepthError extends RouterError {
  constructor(depth: number, max: number) {
    super(
      'SY_ERR_ROUTER_MAX_CALL_DEPTH',
      `Maximum number of calls (${max}) has been exceeded: ${depth} hops`,
    );
  }
}

/** Why a name could not be routed. */
export type NoRouteReason = 'neg' | 'fail' | 'empty' | 'no-endpoints' | 'bind-failed';

/**
 * The logical name bound to nothing usable: `neg`, `fail` or `empty` tree, an address set that is
 * `neg` or empty, or a namer failure. Answered with 502 ("Unable to route request!").
 */
export class NoRouteError extends RouterError {
  readonly reason: NoRouteReason;
  /** The logical name (e.g. `/svc/web`), shown only when clearContext is off. */
  readonly service: string;
  /** Dtab text for the message, shown only when clearContext is off. */
  readonly dtabs: { readonly base: string; readonly local: string };
  constructor(
    reason: NoRouteReason,
    service: string,
    dtabs: { readonly base: string; readonly local: string },
    cause?: unknown,
  ) {
    super('SY_ERR_ROUTER_NO_ROUTE', `Unable to route request! (${reason}) service: ${service}`, { cause });
    this.reason = reason;
    this.service = service;
    this.dtabs = dtabs;
  }
}

/** Binding the name took longer than `bindingTimeoutMs`. 503. */
export class BindingTimeoutError extends RouterError {
  constructor(service: string, ms: number) {
    super('SY_ERR_ROUTER_BINDING_TIMEOUT', `Binding ${service} exceeded bindingTimeoutMs (${ms} ms)`);
  }
}

/** One attempt took longer than `requestAttemptTimeoutMs` to produce response headers. 503. */
export class AttemptTimeoutError extends RouterError {
  constructor(ms: number) {
    super('SY_ERR_ROUTER_ATTEMPT_TIMEOUT', `Request attempt exceeded requestAttemptTimeoutMs (${ms} ms)`);
  }
}

/** The request, retries included, took longer than `totalTimeoutMs`. 503. */
export class TotalTimeoutError extends RouterError {
  constructor(ms: number) {
    super('SY_ERR_ROUTER_TOTAL_TIMEOUT', `Request exceeded totalTimeoutMs (${ms} ms)`);
  }
}

/** The route's request timeout (Gateway API `timeouts.request`) ran out before the response ended. 504. */
export class RouteTimeoutError extends RouterError {
  constructor(ms: number) {
    super('SY_ERR_ROUTER_ROUTE_TIMEOUT', `Request exceeded the route's request timeout (${ms} ms)`);
  }
}

/**
 * One backend request ran past the route's `timeouts.backendRequest` (Gateway API: the time from
 * sending the request to the backend until its full response was received). 504. Before the
 * response head it ends the attempt (a retry may still answer); after it the response to the
 * client is cut.
 */
export class BackendRequestTimeoutError extends RouterError {
  readonly timeoutMs: number;
  /** True when the response head had already reached the client (its response was then cut). */
  readonly responded: boolean;
  constructor(ms: number, responded = false) {
    super(
      'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT',
      `Backend request exceeded the route's timeouts.backendRequest (${ms} ms)`,
    );
    this.timeoutMs = ms;
    this.responded = responded;
  }
}

/** No connection could be made to the chosen endpoint (refused, unreachable, connect timeout). 502. */
export class ConnectFailedError extends RouterError {
  /** `host:port` of the endpoint; shown only when clearContext is off. */
  readonly endpoint: string;
  constructor(endpoint: string, cause: unknown) {
    super('SY_ERR_ROUTER_CONNECT_FAILED', `Unable to establish connection to ${endpoint}.`, { cause });
    this.endpoint = endpoint;
  }
}

/** The endpoint reset or closed the connection, or sent something that is not HTTP. 502. */
export class UpstreamFailedError extends RouterError {
  readonly endpoint: string;
  /**
   * True when response headers had already been written to the client (the client connection
   * is then cut); false when the endpoint failed before any response byte reached the client.
   */
  readonly responded: boolean;
  constructor(endpoint: string, cause: unknown, responded = false) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('SY_ERR_ROUTER_UPSTREAM_FAILED', `Connection to ${endpoint} failed: ${why}`, { cause });
    this.endpoint = endpoint;
    this.responded = responded;
  }
}

/**
 * The HTTP client refused the request before anything was sent (an argument undici rejects, e.g.
 * a header value a layer set with a control character). Nothing reached any endpoint. 400.
 */
export class UnforwardableRequestError extends RouterError {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('SY_ERR_ROUTER_UNFORWARDABLE', `Request cannot be forwarded: ${why}`, { cause });
  }
}

/**
 * The request line or head is malformed for a proxy (RFC 9112): a repeated `Host`, a request
 * target that is neither origin-form, absolute-form nor `OPTIONS *`. Answered with 400 by the
 * router itself; nothing is forwarded.
 */
export class BadRequestError extends RouterError {
  /** What is wrong, e.g. `Host header` or `request target`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('SY_ERR_ROUTER_BAD_REQUEST', `Bad request: ${field}: ${message}`);
    this.field = field;
  }
}

/** The method cannot be proxied by this router (`CONNECT`). 405 with `Allow`. */
export class MethodNotAllowedError extends RouterError {
  readonly method: string;
  /** Value of the `Allow` response header. */
  readonly allow: string;
  constructor(method: string, allow: string) {
    super('SY_ERR_ROUTER_METHOD_NOT_ALLOWED', `Method ${method} is not supported by this proxy`);
    this.method = method;
    this.allow = allow;
  }
}

/** The request line names an HTTP major version other than 1 on an HTTP/1 port. 505. */
export class HttpVersionNotSupportedError extends RouterError {
  readonly version: string;
  constructor(version: string) {
    super('SY_ERR_ROUTER_HTTP_VERSION', `HTTP/${version} is not supported on this port (HTTP/1.x only)`);
    this.version = version;
  }
}

/** The server already has `maxConcurrentRequests` in flight; rejected at once. 503. */
export class OverloadedError extends RouterError {
  constructor(max: number) {
    super('SY_ERR_ROUTER_OVERLOADED', `Too many concurrent requests (maxConcurrentRequests ${max})`);
  }
}

/** The request body is larger than `maxRequestBodyBytes`. 413. */
export class BodyTooLargeError extends RouterError {
  constructor(limit: number) {
    super('SY_ERR_ROUTER_BODY_TOO_LARGE', `Request body exceeds ${limit} bytes`);
  }
}

/** The router is shutting down and takes no new work. 503. */
export class RouterClosedError extends RouterError {
  constructor() {
    super('SY_ERR_ROUTER_CLOSED', 'Router is closing');
  }
}

/** `createRouter` options are outside their contract; the message names the field. */
export class InvalidRouterOptionsError extends RouterError {
  constructor(message: string) {
    super('SY_ERR_ROUTER_INVALID_OPTIONS', message);
  }
}

/**
 * The client's own deadline (gRPC `grpc-timeout`, or Linkerd's `l5d-ctx-deadline` from a trusted
 * client) passed before the response head: 504, gRPC DEADLINE_EXCEEDED. An already expired
 * deadline never reaches a backend.
 */
export class DeadlineExceededError extends RouterError {
  readonly timeoutMs: number;
  /** The header that set the deadline. */
  readonly header: 'grpc-timeout' | 'l5d-ctx-deadline';
  constructor(timeoutMs: number, header: 'grpc-timeout' | 'l5d-ctx-deadline' = 'grpc-timeout') {
    super('SY_ERR_ROUTER_DEADLINE_EXCEEDED', `Request exceeded the client's ${header} (${timeoutMs} ms)`);
    this.timeoutMs = timeoutMs;
    this.header = header;
  }
}

/** The client went away before the response completed. Nothing can be sent. */
export class ClientGoneError extends Error {
  readonly code = 'ECLIENTGONE';
  constructor() {
    super('client closed the connection');
  }
}
