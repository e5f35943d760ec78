/**
 * Router errors on gRPC requests answered as gRPC errors. A gRPC client reads the outcome from
 * `grpc-status`, not from the HTTP status (gRPC over HTTP/2 protocol spec), so a 502 text/plain body
 * would reach the application as a generic UNKNOWN/INTERNAL. This module picks the gRPC code for
 * each router error code (an exhaustive switch next to `rescue`'s) and builds a trailers-only
 * response: one HEADERS frame with `:status: 200`, `content-type: application/grpc`,
 * `grpc-status` and `grpc-message`, ending the stream.
 */
import { assertNever } from '@switchyard/core';
import type { NoRouteError } from '../errors.js';
import { type RescuedCode, type RescueOptions, rescue } from '../rescue.js';

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcStatus = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const);

/** A gRPC status code, 0–16. */
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** True for requests gRPC clients send: `content-type: application/grpc` or `application/grpc+<codec>`. */
export function isGrpcRequest(contentType: string | readonly string[] | undefined): boolean {
  const v = typeof contentType === 'string' ? contentType : contentType?.[0];
  if (v === undefined) return false;
  const lower = v.toLowerCase();
  return (
    lower === 'application/grpc' ||
    lower.startsWith('application/grpc+') ||
    lower.startsWith('application/grpc;')
  );
}

/**
 * The gRPC code for a router error code:
 * - unknown destination, a name bound to `neg`/`empty`/`fail`, CONNECT → UNIMPLEMENTED (nothing here
 *   serves that service or method, Linkerd's h2 router answer for an unroutable name);
 * - no endpoints, a failed binding, connect failures, resets, a closing router → UNAVAILABLE
 *   (transient: gRPC clients may retry it);
 * - binding, attempt and total timeouts → DEADLINE_EXCEEDED;
 * - overload, a layer's rate-limited / overloaded answer, body too large → RESOURCE_EXHAUSTED;
 * - bad dtab headers, call-depth loops → INVALID_ARGUMENT / FAILED_PRECONDITION;
 * - malformed or unforwardable requests, wrong HTTP version → INTERNAL (a protocol error, as the
 *   gRPC spec maps them).
 */
export function grpcStatusForCode(code: RescuedCode, noRouteReason?: NoRouteError['reason']): GrpcStatusCode {
  switch (code) {
    case 'SY_ERR_UNKNOWN_DST':
    case 'SY_ERR_ROUTER_METHOD_NOT_ALLOWED':
      return GrpcStatus.UNIMPLEMENTED;
    case 'SY_ERR_ROUTER_NO_ROUTE':
    case 'SY_ERR_NO_BROKERS':
      return noRouteReason === 'neg' || noRouteReason === 'empty' || noRouteReason === 'fail'
        ? GrpcStatus.UNIMPLEMENTED
        : GrpcStatus.UNAVAILABLE;
    case 'SY_ERR_ROUTER_CONNECT_FAILED':
    case 'SY_ERR_ROUTER_UPSTREAM_FAILED':
    case 'SY_ERR_ROUTER_CLOSED':
      return GrpcStatus.UNAVAILABLE;
    case 'SY_ERR_ROUTER_BINDING_TIMEOUT':
    case 'SY_ERR_ROUTER_ATTEMPT_TIMEOUT':
    case 'SY_ERR_ROUTER_TOTAL_TIMEOUT':
    case 'SY_ERR_ROUTER_ROUTE_TIMEOUT':
    case 'SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT':
    case 'SY_ERR_ROUTER_DEADLINE_EXCEEDED':
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 'SY_ERR_ROUTER_OVERLOADED':
    case 'SY_ERR_RATE_LIMITED':
    case 'SY_ERR_OVERLOADED':
    case 'SY_ERR_ROUTER_BODY_TOO_LARGE':
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 'SY_ERR_ROUTER_BAD_DTAB_HEADER':
      return GrpcStatus.INVALID_ARGUMENT;
    case 'SY_ERR_ROUTER_MAX_CALL_DEPTH':
      return GrpcStatus.FAILED_PRECONDITION;
    case 'SY_ERR_ROUTER_BAD_REQUEST':
    case 'SY_ERR_ROUTER_HTTP_VERSION':
    case 'SY_ERR_ROUTER_UNFORWARDABLE':
    case 'SY_ERR_ROUTER_INVALID_OPTIONS':
      return GrpcStatus.INTERNAL;
    default:
      return assertNever(code);
  }
}

/**
 * `grpc-message` encoding (gRPC over HTTP/2 spec): UTF-8, then every byte outside 0x20–0x7E,
 * `%` itself, and a leading or trailing space percent-encoded.
 */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let out = '';
  for (const [i, byte] of bytes.entries()) {
    // A space at either end is escaped too: HTTP/2 peers drop a field value with surrounding
    // whitespace (RFC 9113 §8.2.1), and grpc-js then saw no message at all.
    const edgeSpace = byte === 0x20 && (i === 0 || i === bytes.length - 1);
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 && !edgeSpace
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes a `grpc-message` value; malformed escapes are kept as text, as the spec asks of receivers. */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(value[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A trailers-only gRPC response: send `headers` as the only HEADERS frame, with END_STREAM. */
export interface GrpcTrailersOnly {
  readonly status: GrpcStatusCode;
  /** The router error code it answers (`SY_ERR_*`, or `unknown`), for stats and access logs. */
  readonly code: string;
  readonly headers: {
    readonly ':status': 200;
    readonly 'content-type': 'application/grpc';
    readonly 'grpc-status': string;
    readonly 'grpc-message': string;
  };
}

function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < 16 && current !== undefined && current !== null; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * The trailers-only gRPC response for a router error. The message is `rescue`'s body, so
 * `clearContext` hides dtabs and addresses here exactly as it does for HTTP/1.1 answers; errors
 * `rescue` does not know become UNKNOWN.
 */
export function grpcErrorResponse(err: unknown, options: RescueOptions): GrpcTrailersOnly {
  const rescued = rescue(err, options);
  let status: GrpcStatusCode = GrpcStatus.UNKNOWN;
  for (const e of causes(err)) {
    if ((e as { code?: unknown }).code !== rescued.code) continue;
    const reason = (e as Partial<NoRouteError>).reason;
    // rescue only reports codes from its own union (or 'unknown', never found above).
    status = grpcStatusForCode(rescued.code as RescuedCode, reason);
    break;
  }
  return {
    status,
    code: rescued.code,
    headers: {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(status),
      'grpc-message': encodeGrpcMessage(rescued.body),
    },
  };
}
