/**
 * Telemetry kinds (`telemetry[]`) and the router layers that feed them: Zipkin tracing (a span
 * per request, propagated as W3C traceparent/B3), the recent-requests table, and the access log.
 * The layers sit outermost so they see the final status of every request, errors included.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import {
  createRecentRequests,
  createZipkinTracing,
  extractTraceContext,
  formatHttpAccessLog,
  injectTraceContext,
  type RecentRequests,
  type Tracer,
} from '@switchyard/admin';
import { Path } from '@switchyard/dtab';
import type { RouterContext, RouterLayer } from '@switchyard/router';
import type { BuildContext } from './build-context.js';
import { createKindCategory, type KindCategory } from './registry.js';
import { number, object, optional, string, withDefault } from './schema.js';

/** A built telemeter: what it contributes to routers and the admin. */
export type BuiltTelemeter =
  | { readonly kind: 'prometheus'; readonly prefix: string }
  | { readonly kind: 'tracer'; readonly tracer: Tracer }
  | { readonly kind: 'recentRequests'; readonly recent: RecentRequests };

/** Telemeter kinds: io.l5d.prometheus, io.l5d.zipkin, io.l5d.recentRequests. */
export function telemeterKinds(): KindCategory<BuiltTelemeter, BuildContext> {
  const kinds = createKindCategory<BuiltTelemeter, BuildContext>('telemeter');
  kinds.register({
    kind: 'io.l5d.prometheus',
    doc: 'Prometheus text exposition at /admin/metrics/prometheus (always served; this sets the prefix).',
    schema: object({
      prefix: withDefault(string(), '', 'Prefix for every metric name.'),
      path: withDefault(
        string({ values: ['/admin/metrics/prometheus'] }),
        '/admin/metrics/prometheus',
        'Fixed path.',
      ),
    }),
    build: (o) => ({ kind: 'prometheus', prefix: o.prefix }),
  });
  kinds.register({
    kind: 'io.l5d.zipkin',
    doc: 'Spans per request exported to Zipkin v2 JSON over HTTP, batched off the request path.',
    schema: object({
      host: withDefault(string({ nonEmpty: true }), 'localhost', 'Zipkin collector host.'),
      port: withDefault(number({ integer: true, min: 1, max: 65535 }), 9411, 'Zipkin collector HTTP port.'),
      sampleRate: withDefault(number({ min: 0, max: 1 }), 0.001, 'Fraction of new traces sampled.'),
      serviceName: optional(string(), 'localEndpoint.serviceName; default switchyard.'),
    }),
    build: (o, c) => {
      const { tracer, exporter } = createZipkinTracing(
        {
          kind: 'io.l5d.zipkin',
          host: o.host,
          port: o.port,
          sampleRate: o.sampleRate,
          ...(o.serviceName ? { serviceName: o.serviceName } : {}),
        },
        { clock: c.clock, stats: c.stats },
      );
      c.onClose(() => exporter.close());
      return { kind: 'tracer', tracer };
    },
  });
  kinds.register({
    kind: 'io.l5d.recentRequests',
    doc: 'A sampled table of recent requests on the dashboard.',
    schema: object({
      sampleRate: withDefault(number({ min: 0, max: 1 }), 1, 'Fraction of requests kept.'),
      capacity: withDefault(number({ integer: true, min: 1 }), 10, 'Requests kept.'),
    }),
    build: (o) => ({ kind: 'recentRequests', recent: createRecentRequests(o) }),
  });
  return kinds;
}

function headerValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/** Span per request: continues the caller's trace (W3C or B3) and propagates it upstream. */
export function tracingLayer(tracer: Tracer): RouterLayer {
  return {
    role: 'tracing',
    description: 'Span per request; W3C traceparent and B3 propagation',
    layer: (next) => async (ctx: RouterContext) => {
      const options = { clearContext: ctx.server.clearContext };
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
      ctx.headers = injectTraceContext(ctx.headers, span.context, options) as RouterContext['headers'];
      ctx.res.once('close', () => {
        if (span.sampled) {
          span.setTag('http.status_code', ctx.res.statusCode);
          if (ctx.dst) span.setTag('l5d.service', Path.show(ctx.dst));
        }
        span.finish();
      });
      return next(ctx);
    },
  };
}

/** Records finished requests in the recent-requests table and/or an access log file. */
export function requestLogLayer(options: {
  readonly recent?: RecentRequests;
  readonly accessLog?: WriteStream;
  readonly clock: BuildContext['clock'];
}): RouterLayer {
  const { recent, accessLog, clock } = options;
  return {
    role: 'requestLog',
    description: [recent && 'recent requests', accessLog && 'access log'].filter(Boolean).join(', '),
    layer: (next) => async (ctx: RouterContext) => {
      const sampled = recent?.shouldSample() ?? false;
      if (!sampled && !accessLog) return next(ctx);
      const startMs = clock.now();
      const uri = ctx.url;
      const method = ctx.method;
      const host = ctx.clientHost;
      ctx.res.once('close', () => {
        const now = clock.now();
        const service = ctx.dst ? Path.show(ctx.dst) : undefined;
        if (sampled) {
          recent?.record({
            timestamp: startMs,
            router: ctx.router,
            method,
            uri,
            ...(host ? { host } : {}),
            ...(service ? { service } : {}),
            status: ctx.res.statusCode,
            durationMs: now - startMs,
          });
        }
        if (accessLog) {
          const length = Number(ctx.res.getHeader('content-length'));
          const line = formatHttpAccessLog({
            timestamp: now,
            ...(host ? { host } : {}),
            ...(ctx.req.socket.remoteAddress ? { remoteAddress: ctx.req.socket.remoteAddress } : {}),
            method,
            uri,
            httpVersion: ctx.req.httpVersion,
            status: ctx.res.statusCode,
            ...(Number.isFinite(length) ? { responseBytes: length } : {}),
            ...(headerValue(ctx.req.headers.referer)
              ? { referer: headerValue(ctx.req.headers.referer)! }
              : {}),
            ...(headerValue(ctx.req.headers['user-agent'])
              ? { userAgent: headerValue(ctx.req.headers['user-agent'])! }
              : {}),
          });
          accessLog.write(`${line}\n`);
        }
      });
      return next(ctx);
    },
  };
}

/** Opens an access log for appending (Linkerd's `httpAccessLog`), closed with the linker. */
export function openAccessLog(file: string, context: BuildContext): WriteStream {
  const stream = createWriteStream(resolve(context.baseDir, file), { flags: 'a' });
  context.onClose(() => new Promise<void>((done) => stream.end(done)));
  return stream;
}
