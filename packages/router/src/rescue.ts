/**
 * The one place errors become responses (linkerd2-proxy's `rescue`, Linkerd 1's ErrorResponder).
 * Walks `cause` to the first error it knows, then picks a status and a text/plain body. With
 * clearContext on the body never carries dtabs or endpoint addresses, and no `l5d-err` is set.
 */
import { assertNever } from '@switchyard/core';
import type {
  LocalAnswer,
  LocalAnswerCode,
  MethodNotAllowedError,
  NoRouteError,
  RouterErrorCode,
} from './errors.js';

/** An error turned into a response. */
export interface Rescued {
  readonly status: number;
  /** text/plain body. */
  readonly body: string;
  /** Stable code for stats and diagnostics (`SY_ERR_*`, or `unknown`). */
  readonly code: string;
  /** Extra response headers the status requires (`Allow` on 405). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Close the connection after the response: the request head was malformed, so its framing is suspect. */
  readonly close?: boolean;
}

/** Options of `rescue`. */
export interface RescueOptions {
  /** Hide internals (dtabs, endpoint addresses, raw messages). */
  readonly clearContext: boolean;
}

function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < 16 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Every code `rescue` answers for: the router's own, and the ones its layers rethrow. */
export type RescuedCode = RouterErrorCode | LocalAnswerCode | 'SY_ERR_UNKNOWN_DST' | 'SY_ERR_NO_BROKERS';

const RESCUED: ReadonlySet<string> = new Set<RescuedCode>([
  'SY_ERR_UNKNOWN_DST',
  'SY_ERR_NO_BROKERS',
  'SY_ERR_RATE_LIMITED',
  'SY_ERR_OVERLOADED',
  'SY_ERR_ROUTER_BAD_DTAB_HEADER',
  'SY_ERR_ROUTER_MAX_CALL_DEPTH',
  'SY_ERR_ROUTER_NO_ROUTE',
  'SY_ERR_ROUTER_BINDING_TIMEOUT',
  'SY_ERR_ROUTER_ATTEMPT_TIMEOUT',
  'SY_ERR_ROUTER_TOTAL_TIMEOUT',
  'SY_ERR_ROUTER_ROUTE_TIMEOUT',
  'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT',
  'SY_ERR_ROUTER_DEADLINE_EXCEEDED',
  'SY_ERR_ROUTER_CONNECT_FAILED',
  'SY_ERR_ROUTER_UPSTREAM_FAILED',
  'SY_ERR_ROUTER_OVERLOADED',
  'SY_ERR_ROUTER_BODY_TOO_LARGE',
  'SY_ERR_ROUTER_CLOSED',
  'SY_ERR_ROUTER_INVALID_OPTIONS',
  'SY_ERR_ROUTER_BAD_REQUEST',
  'SY_ERR_ROUTER_METHOD_NOT_ALLOWED',
  'SY_ERR_ROUTER_HTTP_VERSION',
  'SY_ERR_ROUTER_UNFORWARDABLE',
]);

function isRescued(code: string | undefined): code is RescuedCode {
  return code !== undefined && RESCUED.has(code);
}

/**
 * The response for one code: an exhaustive switch (a new code in `RouterErrorCode` does not
 * compile until it is answered here). `undefined` means "not a request-time answer, keep walking
 * `cause`" (invalid options are a construction fault).
 */
function answer(code: RescuedCode, e: unknown, hide: boolean): Rescued | undefined {
  switch (code) {
    case 'SY_ERR_UNKNOWN_DST':
      return { status: (e as { status?: number }).status ?? 400, body: messageOf(e), code };
    case 'SY_ERR_ROUTER_BAD_DTAB_HEADER':
    case 'SY_ERR_ROUTER_MAX_CALL_DEPTH':
    case 'SY_ERR_ROUTER_UNFORWARDABLE':
      return { status: 400, body: messageOf(e), code };
    case 'SY_ERR_ROUTER_BAD_REQUEST':
      return { status: 400, body: messageOf(e), code, close: true };
    case 'SY_ERR_ROUTER_METHOD_NOT_ALLOWED': {
      const allow = (e as Partial<MethodNotAllowedError>).allow;
      return {
        status: 405,
        body: messageOf(e),
        code,
        ...(allow === undefined ? {} : { headers: { allow } }),
      };
    }
    case 'SY_ERR_ROUTER_HTTP_VERSION':
      return { status: 505, body: messageOf(e), code, close: true };
    case 'SY_ERR_ROUTER_NO_ROUTE':
    case 'SY_ERR_NO_BROKERS': {
      if (hide) return { status: 502, body: 'Unable to route request!', code };
      const nr = e as Partial<NoRouteError>;
      let body = 'Unable to route request!';
      if (nr.service !== undefined) body += `\n\nservice: ${nr.service}`;
      if (nr.reason !== undefined) body += `\nreason: ${nr.reason}`;
      if (nr.dtabs !== undefined) body += `\nbase dtab: ${nr.dtabs.base}\noverride dtab: ${nr.dtabs.local}`;
      const cause = (e as Error).cause;
      if (cause !== undefined) body += `\ncause: ${messageOf(cause)}`;
      return { status: 502, body, code };
    }
    case 'SY_ERR_ROUTER_CONNECT_FAILED':
      return {
        status: 502,
        body: hide ? 'Unable to establish connection to the backend.' : messageOf(e),
        code,
      };
    case 'SY_ERR_ROUTER_UPSTREAM_FAILED':
      return { status: 502, body: hide ? 'Connection to the backend failed.' : messageOf(e), code };
    case 'SY_ERR_ROUTER_BINDING_TIMEOUT':
    case 'SY_ERR_ROUTER_ATTEMPT_TIMEOUT':
    case 'SY_ERR_ROUTER_TOTAL_TIMEOUT':
      return { status: 503, body: hide ? 'Request timed out.' : messageOf(e), code };
    case 'SY_ERR_ROUTER_ROUTE_TIMEOUT':
    case 'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT':
    case 'SY_ERR_ROUTER_DEADLINE_EXCEEDED':
      return { status: 504, body: hide ? 'Request timed out.' : messageOf(e), code };
    case 'SY_ERR_ROUTER_OVERLOADED':
    case 'SY_ERR_ROUTER_CLOSED':
      return { status: 503, body: messageOf(e), code };
    case 'SY_ERR_ROUTER_BODY_TOO_LARGE':
      return { status: 413, body: messageOf(e), code };
    case 'SY_ERR_RATE_LIMITED':
    case 'SY_ERR_OVERLOADED': {
      const local = e as Partial<LocalAnswer>;
      const status =
        typeof local.status === 'number' && local.status >= 400 && local.status <= 599
          ? local.status
          : code === 'SY_ERR_RATE_LIMITED'
            ? 429
            : 503;
      return {
        status,
        body: messageOf(e),
        code,
        ...(local.headers === undefined ? {} : { headers: local.headers }),
      };
    }
    case 'SY_ERR_ROUTER_INVALID_OPTIONS':
      return undefined;
    default:
      return assertNever(code);
  }
}

/**
 * Maps an error to a response. Known codes (the first found walking `cause`):
 * unknown destination → identifier's status (400); bad dtab header, call depth, bad request
 * head, unforwardable request → 400; CONNECT → 405 (with `Allow`); HTTP major version ≠ 1 → 505;
 * no route / no endpoints / connect failure / reset → 502; binding, attempt, total timeout,
 * overload, closing → 503; a layer's local answer (rate limited, overloaded) → its status and
 * headers; route request / backendRequest timeout, client deadline → 504; body too large → 413; anything else → 502.
 */
export function rescue(err: unknown, options: RescueOptions): Rescued {
  const hide = options.clearContext;
  for (const e of causes(err)) {
    const code = codeOf(e);
    if (!isRescued(code)) continue;
    const rescued = answer(code, e, hide);
    if (rescued !== undefined) return rescued;
  }
  return { status: 502, body: hide ? 'Bad gateway.' : messageOf(err), code: codeOf(err) ?? 'unknown' };
}

/** Linkerd's `l5d-err` encoding: URL-encoded message, cut to `maxBytes`. */
export function encodeErrHeader(message: string, maxBytes: number): string {
  const encoded = encodeURIComponent(message);
  if (encoded.length <= maxBytes) return encoded;
  // Never cut inside a %XX escape.
  let end = maxBytes;
  const pct = encoded.lastIndexOf('%', end);
  if (pct > end - 3) end = pct;
  return encoded.slice(0, end);
}
