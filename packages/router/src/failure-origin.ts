/**
 * Who caused a failed attempt. Only failures the endpoint caused may reach failure accrual,
 * endpoint/client failure counters and the retry and requeue decisions that assume the endpoint
 * misbehaved; a request the router could not forward, or a client that went away, says nothing
 * about the endpoint's health. Every such decision in the data path goes through
 * {@link failureOrigin}, so the classification lives in one place.
 */
import { ClientGoneError } from './errors.js';

/** What happened to an attempt that failed, by who caused it. */
export type FailureOrigin =
  /**
   * The endpoint: `connect` — no connection (refused, unreachable, connect timeout, TLS
   * handshake): nothing was sent; `before-response` — the connection was reset or closed, or no
   * response headers came in time (`timedOut`), after the request started and before any
   * response byte reached the client; `response` — it answered with something that is not HTTP,
   * or failed after response headers were relayed.
   */
  | { readonly kind: 'endpoint'; readonly stage: 'connect' }
  | { readonly kind: 'endpoint'; readonly stage: 'before-response'; readonly timedOut: boolean }
  | { readonly kind: 'endpoint'; readonly stage: 'response' }
  /**
   * `refused` — an HTTP/2 endpoint refused the stream (RST_STREAM REFUSED_STREAM): by RFC 9113
   * §8.7 none of it was processed, so it may be sent again whatever its method (if its body can be).
   */
  | { readonly kind: 'endpoint'; readonly stage: 'refused' }
  /**
   * The router: `unforwardable` — the HTTP client refused the request before sending anything;
   * `retired` — the endpoint's pool was closed (the namer dropped it) before the request was
   * sent, so it may go elsewhere; `deadline` — the request's own `totalTimeoutMs` ran out (the
   * attempt that was cut is classified as the endpoint's timeout where it happens, in dispatch);
   * `closing` — the router is shutting down; `unknown` — anything else (never blamed on an
   * endpoint).
   */
  | {
      readonly kind: 'local';
      readonly reason: 'unforwardable' | 'retired' | 'deadline' | 'closing' | 'unknown';
    }
  /**
   * The client: `gone` — it closed or reset its connection (mid-upload included); `body` — its
   * body broke a limit (`maxRequestBodyBytes`) while streaming.
   */
  | { readonly kind: 'client'; readonly reason: 'gone' | 'body' };

const UNFORWARDABLE: FailureOrigin = Object.freeze({ kind: 'local', reason: 'unforwardable' });
const RETIRED: FailureOrigin = Object.freeze({ kind: 'local', reason: 'retired' });
const DEADLINE: FailureOrigin = Object.freeze({ kind: 'local', reason: 'deadline' });
const CLOSING: FailureOrigin = Object.freeze({ kind: 'local', reason: 'closing' });
const UNKNOWN: FailureOrigin = Object.freeze({ kind: 'local', reason: 'unknown' });
const CLIENT_GONE: FailureOrigin = Object.freeze({ kind: 'client', reason: 'gone' });
const CLIENT_BODY: FailureOrigin = Object.freeze({ kind: 'client', reason: 'body' });
const CONNECT: FailureOrigin = Object.freeze({ kind: 'endpoint', stage: 'connect' });
const RESET: FailureOrigin = Object.freeze({ kind: 'endpoint', stage: 'before-response', timedOut: false });
const TIMED_OUT: FailureOrigin = Object.freeze({
  kind: 'endpoint',
  stage: 'before-response',
  timedOut: true,
});
const RESPONSE: FailureOrigin = Object.freeze({ kind: 'endpoint', stage: 'response' });
const REFUSED: FailureOrigin = Object.freeze({ kind: 'endpoint', stage: 'refused' });

/** The cause code the HTTP/2 forwarder gives a stream the endpoint refused (nghttp2's name for it). */
export const REFUSED_STREAM = 'NGHTTP2_REFUSED_STREAM';

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** undici's pool was closed or destroyed under the request: the router's doing, not the endpoint's. */
function isPoolClosed(code: string | undefined): boolean {
  return code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED';
}

/**
 * The endpoint spoke something that is not HTTP, or a head node will not relay: llhttp's `HPE_*`,
 * undici's response checks, node's `writeHead` refusing the endpoint's status or header values.
 */
function isInvalidResponse(code: string): boolean {
  return (
    code.startsWith('HPE_') ||
    code.startsWith('UND_ERR_RES') ||
    code.startsWith('ERR_HTTP_') ||
    code === 'ERR_INVALID_CHAR'
  );
}

/**
 * Classifies the rejection of one attempt (`forwardAttempt`). Errors are the router's typed
 * errors, whose `cause` is the HTTP client's error; anything unrecognised is `local`, never
 * blamed on an endpoint.
 */
export function failureOrigin(err: unknown): FailureOrigin {
  if (err instanceof ClientGoneError) return CLIENT_GONE;
  const code = codeOf(err);
  switch (code) {
    case 'SY_ERR_ROUTER_CONNECT_FAILED':
      return isPoolClosed(codeOf((err as Error).cause)) ? RETIRED : CONNECT;
    case 'SY_ERR_ROUTER_UPSTREAM_FAILED': {
      if ((err as { responded?: boolean }).responded === true) return RESPONSE;
      const cause = codeOf((err as Error).cause);
      if (isPoolClosed(cause)) return CLOSING;
      if (cause === REFUSED_STREAM) return REFUSED;
      if (cause === 'UND_ERR_HEADERS_TIMEOUT') return TIMED_OUT;
      if (cause !== undefined && isInvalidResponse(cause)) return RESPONSE;
      return RESET;
    }
    case 'SY_ERR_ROUTER_ATTEMPT_TIMEOUT':
      return TIMED_OUT;
    case 'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT':
      return (err as { responded?: boolean }).responded === true ? RESPONSE : TIMED_OUT;
    case 'SY_ERR_ROUTER_TOTAL_TIMEOUT':
    case 'SY_ERR_ROUTER_ROUTE_TIMEOUT':
    case 'SY_ERR_ROUTER_DEADLINE_EXCEEDED':
      return DEADLINE;
    case 'SY_ERR_ROUTER_UNFORWARDABLE':
      return UNFORWARDABLE;
    case 'SY_ERR_ROUTER_BODY_TOO_LARGE':
      return CLIENT_BODY;
    default:
      return UNKNOWN;
  }
}

/** True when the endpoint is to blame: only then may the failure reach accrual and failure stats. */
export function blamesEndpoint(origin: FailureOrigin): boolean {
  return origin.kind === 'endpoint';
}

/**
 * True when nothing reached the endpoint and the endpoint is not known to be at fault for the
 * request itself: a connect failure, or a pool retired before sending. Such a request is re-sent
 * at once to another pick (a requeue), whatever its body.
 */
export function isRequeueable(origin: FailureOrigin): boolean {
  return (
    (origin.kind === 'endpoint' && origin.stage === 'connect') ||
    (origin.kind === 'local' && origin.reason === 'retired')
  );
}
