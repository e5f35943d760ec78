/**
 * Telemetry kinds (`telemetry[]`): Prometheus naming, Zipkin tracing and the recent-requests
 * table, plus the access log file. Their router layers live in `@switchyard/telemetry`.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { createRecentRequests, type RecentRequests, type Tracer } from '@switchyard/telemetry';
import { createZipkinTracing } from '@switchyard/telemetry/zipkin';
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

/** Opens an access log for appending (Linkerd's `httpAccessLog`), closed with the linker. */
export function openAccessLog(file: string, context: BuildContext): (line: string) => void {
  const stream = createWriteStream(resolve(context.baseDir, file), { flags: 'a' });
  context.onClose(() => new Promise<void>((done) => stream.end(done)));
  return (line) => stream.write(line);
}
