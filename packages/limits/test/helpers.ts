/**
 * Fixtures of the limits tests: a real router on an ephemeral port with the limit layers in its
 * stacks, and a request that can leave from a chosen loopback address (127.0.0.0/8 is all
 * loopback on Linux, so two "clients" are two addresses). The backend is testkit's
 * `startBackend`, whose `seen` lists the requests that reached it.
 */
import http from 'node:http';
import {
  createInterpreter,
  createMetricsRegistry,
  identified,
  type MetricsRegistry,
  type RequestHead,
  type Stats,
  unidentified,
} from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { createRouter, type Router, type RouterOptions, type RouterStackLayers } from '@switchyard/router';

/**
 * A router naming requests `/svc/<x-dst>` with `dtab`, a metrics registry, and the layers
 * `layersOf` makes with its `rt/http` scope; `bindingCache` as the router takes it.
 */
export async function startRouter(
  dtab: string,
  layersOf: (stats: Stats) => RouterStackLayers,
  bindingCache?: RouterOptions['bindingCache'],
): Promise<{ router: Router; port: number; stats: MetricsRegistry }> {
  const stats = createMetricsRegistry();
  const layers = layersOf(stats.scope('rt', 'http'));
  const router = createRouter({
    servers: [{ port: 0 }],
    identifier: async (req: RequestHead) => {
      const dst = req.headers['x-dst'];
      return typeof dst === 'string' ? identified(['svc', dst], req) : unidentified('no x-dst');
    },
    interpreter: createInterpreter({ namers: [] }),
    dtab: Dtab.read(dtab),
    layers,
    stats,
    ...(bindingCache ? { bindingCache } : {}),
  });
  const [server] = await router.listen();
  return { router, port: server!.port, stats };
}

export interface Reply {
  readonly status: number;
  readonly retryAfter: string | undefined;
  /** The router's `l5d-err` (URL-encoded message), absent under clearContext. */
  readonly l5dErr: string | undefined;
  readonly body: string;
}

/** One GET on a fresh connection, from `localAddress` (default 127.0.0.1). */
export function get(port: number, dst: string, localAddress = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', headers: { 'x-dst': dst }, agent: false, localAddress },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            l5dErr: res.headers['l5d-err'] as string | undefined,
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The value of a counter or gauge in the registry (0 when absent). */
export function metric(stats: MetricsRegistry, name: string): number {
  const s = stats.snapshot().find((m) => m.name.join('/') === name);
  return s === undefined || s.kind === 'histogram' ? 0 : s.value;
}

/** Whether the registry has a metric of this name (a disposed gauge is absent). */
export function hasMetric(stats: MetricsRegistry, name: string): boolean {
  return stats.snapshot().some((m) => m.name.join('/') === name);
}

/** Sum of the counters whose name matches `pattern`. */
export function sum(stats: MetricsRegistry, pattern: RegExp): number {
  let n = 0;
  for (const m of stats.snapshot()) if (m.kind === 'counter' && pattern.test(m.name.join('/'))) n += m.value;
  return n;
}

/** Counts of each status. */
export function statuses(replies: readonly Reply[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
