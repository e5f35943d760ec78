/**
 * Test helpers: a router view backed by core's real interpreter and metrics registry, and a raw
 * HTTP client (fetch cannot set Host or Origin, which the security tests need).
 */
import { request } from 'node:http';
import { Activity, createInterpreter, type MetricsRegistry } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { AdminClientView, AdminIngressRuleView, AdminRouterView, RecentRequest } from '../src/index.js';

/** A router view over a real interpreter (`/$/inet` names only, no DNS). */
export function testRouter(
  label: string,
  dtab: string,
  extra: {
    clients?: readonly AdminClientView[];
    ingress?: readonly AdminIngressRuleView[];
    recent?: () => readonly RecentRequest[];
    port?: number;
  } = {},
): AdminRouterView {
  const interpreter = createInterpreter({ dnsLookup: async () => [] });
  const base = Dtab.read(dtab);
  return {
    label,
    servers: () => [{ ip: '0.0.0.0', port: extra.port ?? 4140 }],
    dtab: () => base,
    delegate: (path, local) => Activity.toPromise(interpreter.delegate(Dtab.concat(base, local), path)),
    clients: () => extra.clients ?? [],
    ...(extra.ingress !== undefined ? { ingressRules: () => extra.ingress ?? [] } : {}),
    ...(extra.recent !== undefined ? { recentRequests: extra.recent } : {}),
  };
}

/** Records one request through `rt/<label>/server/0.0.0.0/4140` and its service and client scopes. */
export function recordRequest(stats: MetricsRegistry, label: string, ok: boolean, latencyMs: number): void {
  const server = stats.scope('rt', label, 'server', '0.0.0.0/4140');
  const service = stats.scope('rt', label, 'service', 'svc/web');
  const client = stats.scope('rt', label, 'client', '$/inet/127.0.0.1/8080');
  for (const s of [server, service, client]) {
    s.counter('requests').incr();
    s.counter(ok ? 'success' : 'failures').incr();
    s.histogram('request_latency_ms').add(latencyMs);
  }
}

/** A raw HTTP exchange. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends a request with exactly the given headers. */
export function raw(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: Number(u.port),
        path,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
