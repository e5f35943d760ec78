/**
 * Telemetry as router layers: a span per request (W3C traceparent / B3 propagation) and a
 * request log feeding `io.l5d.recentRequests` and the access log. Telemetry does not import the
 * router: the layers are written against the few request fields they read, which the router's
 * `RouterContext` has, so `tracingLayer<RouterContext>(tracer)` is a router layer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Clock, NamedLayer } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { type AccessLogFormat, accessLogFormatter } from './access-log.js';
import type { RecentRequests } from './recent-requests.js';
import { extractTraceContext, injectTraceContext, type Span, type Tracer } from './tracing/index.js';

/** The request fields the telemetry layers read (and `headers`, which tracing rewrites). */
export interface ObservedRequest {
  readonly router: string;
  readonly server: { readonly clearContext: boolean };
  /** HTTP/1.1 (`node:http`) or HTTP/2 (`node:http2`'s compatibility API). */
  readonly req: IncomingMessage | Http2ServerRequest;
  readonly res: ServerResponse | Http2ServerResponse;
  readonly method: string;
  readonly url: string;
  headers: Record<string, string | string[] | undefined>;
  readonly clientHost: string | undefined;
  readonly dst: Path | undefined;
  /**
   * `host:port` of the endpoint the latest attempt went to, for the recent-requests table. The
   * router sets it when it picks an endpoint; absent, the table's endpoint column stays empty.
   */
  readonly endpoint?: string | undefined;
  /** Per-request slots shared by layers; the request span is kept here for the attempt spans. */
  readonly locals: Record<string, unknown>;
}

/** Where `tracingLayer` keeps the request's span for `attemptTracingLayer`. */
const REQUEST_SPAN = 'switchyard.tracing.requestSpan';

/**
 * The request's span `tracingLayer` started, from the request's `locals`, for layers that add
 * tags of their own (e.g. which dtab override applied); `undefined` without tracing.
 */
export function requestSpanOf(locals: Record<string, unknown>): Span | undefined {
  return locals[REQUEST_SPAN] as Span | undefined;
}

/** A layer over handlers of `C`. */
export type ObservedLayer<C extends ObservedRequest> = NamedLayer<(ctx: C) => Promise<void>>;

/** Span per request: continues the caller's trace (W3C or B3) and propagates it upstream. */
export function tracingLayer<C extends ObservedRequest>(tracer: Tracer): ObservedLayer<C> {
  return {
    role: 'tracing',
    description: 'Span per request; W3C traceparent, B3 and l5d-ctx-trace propagation',
    layer: (next) => async (ctx) => {
      const options = {
        clearContext: ctx.server.clearContext,
        ...(tracer.propagation !== undefined ? { inject: tracer.propagation } : {}),
      };
      const parent = extractTraceContext(ctx.headers, options);
      const span = tracer.startSpan({
        name: ctx.method.toLowerCase(),
        kind: 'SERVER',
        ...(parent ? { parent } : {}),
      });
      if (span.sampled) {
        span.setTag('http.method', ctx.method);
        span.setTag('http.path', ctx.url);
      }
      ctx.headers = injectTraceContext(ctx.headers, span.context, options) as C['headers'];
      ctx.locals[REQUEST_SPAN] = span;
      ctx.res.once('close', () => {
        if (span.sampled) {
          span.setTag('http.status_code', ctx.res.statusCode);
          if (ctx.dst) span.setTag('l5d.service', Path.show(ctx.dst));
        }
        span.finish();
      });
      await next(ctx);
    },
  };
}

/**
 * A CLIENT span per attempt (retries and requeues each get one), child of the request's span,
 * and propagated upstream in its place. Goes innermost, around the router's dispatch; without
 * `tracingLayer` outside it, it does nothing.
 */
export function attemptTracingLayer<C extends ObservedRequest>(tracer: Tracer): ObservedLayer<C> {
  return {
    role: 'attemptTracing',
    description: 'Span per attempt, child of the request span',
    layer: (next) => async (ctx) => {
      const parent = (ctx.locals[REQUEST_SPAN] as Span | undefined)?.context;
      if (parent === undefined) return next(ctx);
      const span = tracer.startSpan({ name: ctx.method.toLowerCase(), kind: 'CLIENT', parent });
      ctx.headers = injectTraceContext(ctx.headers, span.context, {
        clearContext: ctx.server.clearContext,
        ...(tracer.propagation !== undefined ? { inject: tracer.propagation } : {}),
      }) as C['headers'];
      try {
        await next(ctx);
        if (span.sampled) span.setTag('http.status_code', ctx.res.statusCode);
      } catch (error) {
        if (span.sampled)
          span.setTag('error', String((error as { code?: unknown }).code ?? (error as Error).message));
        throw error;
      } finally {
        span.finish();
      }
    },
  };
}

/** Where finished requests go: the recent-requests table and/or an access log. */
export interface RequestLogOptions {
  readonly recent?: RecentRequests;
  /** Receives one access log line per request, newline included (e.g. a file stream's `write`). */
  readonly accessLog?: (line: string) => void;
  /** The access log's line format. Default `linkerd` (Linkerd 1's `httpAccessLog`). */
  readonly accessLogFormat?: AccessLogFormat;
  readonly clock: Clock;
}

/**
 * Counts the body bytes handed to `res` through `write` and `end` (HTTP/1 and the HTTP/2
 * compatibility response alike), headers excluded, as CLF's `%b`. The methods are wrapped on this
 * one response object only, and only when an access log is written.
 */
/** The two methods `countBodyBytes` wraps, as both response kinds have them. */
interface WritableResponse {
  write(...args: unknown[]): boolean;
  end(...args: unknown[]): unknown;
}

function countBodyBytes(response: ServerResponse | Http2ServerResponse): () => number {
  // Both kinds' write/end take (chunk, encoding?, callback?): wrapped through one shape.
  const res = response as unknown as WritableResponse;
  let bytes = 0;
  // Http2ServerResponse.end(chunk) calls this.write(chunk): that inner write is not counted again.
  let ending = false;
  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: WritableResponse, ...args: unknown[]) {
    if (!ending) count(args[0], args[1]);
    return Reflect.apply(write, this, args) as boolean;
  };
  res.end = function (this: WritableResponse, ...args: unknown[]) {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    ending = true;
    try {
      return Reflect.apply(end, this, args);
    } finally {
      ending = false;
    }
  };
  return () => bytes;
}

/** Statuses (and HEAD) whose body Node never sends, whatever was written. */
function bodyless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The router names the bound client in the upstream `l5d-dst-client` header (docs/router.md),
 * set once binding succeeded. A value equal to the one the caller sent is not evidence of
 * binding (a request that never bound keeps a caller's forged header), so it is not reported.
 */
const DST_CLIENT = 'l5d-dst-client';

/** Records finished requests; costs nothing for requests that are neither sampled nor logged. */
export function requestLogLayer<C extends ObservedRequest>(options: RequestLogOptions): ObservedLayer<C> {
  const { recent, accessLog, clock } = options;
  const format = accessLogFormatter(options.accessLogFormat ?? 'linkerd');
  return {
    role: 'requestLog',
    description: [recent && 'recent requests', accessLog && 'access log'].filter(Boolean).join(', '),
    layer: (next) => async (ctx) => {
      const sampled = recent?.shouldSample() ?? false;
      if (!sampled && !accessLog) return next(ctx);
      const startMs = clock.now();
      const startNs = clock.nanoTime();
      const { url: uri, method, clientHost: host } = ctx;
      const inboundClient = first(ctx.headers[DST_CLIENT]);
      const bodyBytes = accessLog ? countBodyBytes(ctx.res) : undefined;
      ctx.res.once('close', () => {
        const now = clock.now();
        // Monotonic and sub-millisecond: wall-clock ms would show most proxied requests as 0 or 1 ms.
        const durationMs = Number(clock.nanoTime() - startNs) / 1e6;
        const service = ctx.dst ? Path.show(ctx.dst) : undefined;
        // Read now, not at entry: binding and dispatch happen inside `next`.
        const bound = first(ctx.headers[DST_CLIENT]);
        const client = bound !== inboundClient ? bound : undefined;
        const traceId = (ctx.locals[REQUEST_SPAN] as Span | undefined)?.context.traceId;
        if (sampled) {
          const endpoint = ctx.endpoint;
          recent?.record({
            timestamp: startMs,
            router: ctx.router,
            method,
            uri,
            ...(host ? { host } : {}),
            ...(service ? { service } : {}),
            ...(client ? { client } : {}),
            ...(endpoint ? { endpoint } : {}),
            status: ctx.res.statusCode,
            durationMs,
            ...(traceId ? { traceId } : {}),
          });
        }
        if (accessLog) {
          const status = ctx.res.statusCode;
          const responseBytes = bodyless(ctx.req.method ?? method, status) ? 0 : (bodyBytes?.() ?? 0);
          const referer = first(ctx.req.headers.referer);
          const userAgent = first(ctx.req.headers['user-agent']);
          accessLog(
            `${format({
              timestamp: now,
              ...(host ? { host } : {}),
              ...(ctx.req.socket.remoteAddress ? { remoteAddress: ctx.req.socket.remoteAddress } : {}),
              method,
              uri,
              httpVersion: ctx.req.httpVersion,
              status,
              responseBytes,
              ...(referer ? { referer } : {}),
              ...(userAgent ? { userAgent } : {}),
              durationMs,
              router: ctx.router,
              ...(service ? { service } : {}),
              ...(client ? { client } : {}),
              ...(traceId ? { traceId } : {}),
            })}\n`,
          );
        }
      });
      await next(ctx);
    },
  };
}
