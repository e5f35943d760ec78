/**
 * Test helpers: a router view backed by core's real interpreter and metrics registry, and a raw
 * HTTP client (fetch cannot set Host or Origin, which the security tests need).
 */
import { request } from 'node:http';
import { Activity, createInterpreter, type MetricsRegistry } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { RecentRequest } from '@switchyard/telemetry';
import {
  type AdminClientView,
  type AdminIngressRuleView,
  type AdminRouterView,
  type AdminServer,
  createAdminServer,
} from '../src/index.js';

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
    servers: () => [{ ip: '0.0.0.0', port: extra.port ?? 18080 }],
    dtab: () => base,
    delegate: (path, local) => Activity.toPromise(interpreter.delegate(Dtab.concat(base, local), path)),
    clients: () => extra.clients ?? [],
    ...(extra.ingress !== undefined ? { ingressRules: () => extra.ingress ?? [] } : {}),
    ...(extra.recent !== undefined ? { recentRequests: extra.recent } : {}),
  };
}

/** Records one request through `rt/<label>/server/0.0.0.0/18080` and its service and client scopes. */
export function recordRequest(stats: MetricsRegistry, label: string, ok: boolean, latencyMs: number): void {
  const server = stats.scope('rt', label, 'server', '0.0.0.0/18080');
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

/**
 * A registry shaped like a running ingress: the scopes and stat names the router
 * (`router.ts`, `client.ts`, `layers.ts`), the balancers, the TLS terminator and the namers and
 * identifiers register, with two servers (one TLS), a service, a client with two endpoints
 * (IPv4 and IPv6), certificate gauges, and a label value that needs escaping.
 */
export function ingressLikeStats(stats: MetricsRegistry): void {
  const rt = stats.scope('rt', 'http');
  for (const port of ['18080', '18443']) {
    const s = rt.scope('server', '0.0.0.0', port);
    s.counter('requests').incr(12);
    s.counter('success').incr(11);
    s.counter('failures').incr(1);
    for (const ms of [0.4, 3, 12, 250]) s.histogram('request_latency_ms').add(ms);
    s.counter('status', '2XX').incr(11);
    s.counter('status', '5XX').incr(1);
    s.gauge(['connections'], () => 3);
    s.gauge(['pending'], () => 0);
  }
  // build-router scopes the terminator at rt/<label>/server/<ip>/<port>, the terminator adds `tls`.
  const tls = rt.scope('server', '0.0.0.0', '18443', 'tls');
  tls.counter('sni', 'exact').incr(4);
  tls.counter('sni', 'rejected').incr();
  for (const c of ['loads', 'reloads', 'rejected', 'expiring', 'connections', 'handshake_failures'])
    tls.counter(c).incr();
  tls.gauge(['certificate', 'etc_switchyard_tls_tls.crt', 'expires_in_seconds'], () => 2_592_000);
  tls.gauge(['certificate', 'secret default/web-tls', 'expires_in_seconds'], () => 86_400);
  for (const name of ['svc/default/80/world', 'svc/we"ird\\name\nx']) {
    const svc = rt.scope('service', name);
    svc.counter('requests').incr(5);
    svc.counter('success').incr(5);
    svc.counter('failures');
    svc.histogram('request_latency_ms').add(8);
    svc.counter('retries', 'total').incr(2);
    svc.counter('retries', 'budget_exhausted');
  }
  const client = rt.scope('client', '#/io.l5d.k8s/default/http/world');
  client.counter('requests').incr(5);
  client.counter('success').incr(4);
  client.counter('failures').incr(1);
  client.histogram('request_latency_ms').add(7);
  client.gauge(['pending'], () => 1);
  client.gauge(['endpoints'], () => 2);
  client.gauge(['loadbalancer', 'size'], () => 2);
  client.gauge(['loadbalancer', 'available'], () => 2);
  client.counter('loadbalancer', 'panicked');
  client.counter('failure_accrual', 'removals');
  client.gauge(['failure_accrual', 'dead'], () => 0);
  for (const ep of ['10.1.2.3:8080', '[fd00::1]:8080']) {
    const e = client.scope('endpoint', ep);
    e.counter('requests').incr(2);
    e.counter('success').incr(2);
    e.counter('failures');
  }
  stats.counter('namer', 'io.l5d.k8s', 'lookups').incr();
  stats.counter('namer', 'io.l5d.dnssrv', 'lookup_successes_total').incr();
  stats.counter('identifier', 'io.l5d.ingress', 'identified').incr(9);
  stats.gauge(['identifier', 'io.l5d.ingress', 'ingresses'], () => 1);
  stats.counter('k8s', 'watch_events').incr(3);
  stats.counter('zipkin', 'spans_sent');
}

/** The example routers' dtab: `/svc/web` matches two dentries (an alt), `/srv/api` a union. */
export const EXAMPLE_DTAB =
  '/svc/web => /$/inet/127.0.0.1/8080; /svc => /srv; /srv/api => /$/inet/127.0.0.1/9000 & /$/inet/127.0.0.1/9001';

/**
 * A listening admin (port 0) over two routers (`http` with {@link EXAMPLE_DTAB}, `h2`), two
 * readiness sources (`files`, and `k8s ingress watch` reading `k8sReady`) and a config with secrets.
 */
export async function startExampleAdmin(
  stats: MetricsRegistry,
  k8sReady: () => boolean,
): Promise<AdminServer> {
  const server = createAdminServer({
    port: 0,
    stats,
    routers: [
      testRouter('http', EXAMPLE_DTAB),
      testRouter('h2', '/svc => /$/inet/127.0.0.1/7000', { port: 4142 }),
    ],
    readiness: [
      { name: 'files', ready: () => true },
      { name: 'k8s ingress watch', ready: k8sReady },
    ],
    config: {
      admin: { port: 19990 },
      routers: [
        {
          protocol: 'http',
          servers: [{ port: 443, tls: { certPath: '/c.pem', keyPath: '/k.pem' } }],
          client: { tls: { clientAuth: { certPath: '/a', keyPath: '/b' } } },
        },
      ],
      namers: [{ kind: 'io.l5d.k8s', token: 'abc', password: 'hunter2' }],
    },
  });
  await server.listen();
  return server;
}
