/**
 * Every admin endpoint over a real socket on 127.0.0.1, against core's real metrics registry and
 * interpreter. Prometheus output is checked by a real parser and a line grammar.
 */
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../src/index.js';
import { raw, recordRequest, startExampleAdmin, testRouter } from './fixtures.js';

let server: AdminServer;
let stats: MetricsRegistry;
let url: string;
let k8sReady: boolean;

beforeEach(async () => {
  stats = createMetricsRegistry();
  k8sReady = false;
  server = await startExampleAdmin(stats, () => k8sReady);
  url = server.url;
});

afterEach(async () => {
  await server.close();
});

describe('health', () => {
  it('GET /admin/ping answers pong', async () => {
    const res = await fetch(`${url}/admin/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('pong\n');
  });

  it('binds to loopback by default and refuses a second listen', async () => {
    const defaultIp = createAdminServer({ port: 0 });
    const address = await defaultIp.listen();
    try {
      expect(address.address).toBe('127.0.0.1');
      await expect(defaultIp.listen()).rejects.toMatchObject({ code: 'SY_ERR_ADMIN_LIFECYCLE' });
    } finally {
      await defaultIp.close();
    }
  });

  it('/admin/ready is 503 naming what is not ready, then 200', async () => {
    const notReady = await fetch(`${url}/admin/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('not ready: k8s ingress watch\n');
    k8sReady = true;
    const ready = await fetch(`${url}/admin/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
  });

  it('/admin/server_info reports the process and routers', async () => {
    const info = (await (await fetch(`${url}/admin/server_info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      name: 'switchyard',
      pid: process.pid,
      node: process.version,
      routers: ['http', 'h2'],
    });
    expect(typeof info.uptimeMs).toBe('number');
  });

  it('/admin lists the endpoints', async () => {
    const index = (await (await fetch(`${url}/admin`)).json()) as { endpoints: { path: string }[] };
    const paths = index.endpoints.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/admin/ping', '/admin/metrics/prometheus', '/delegator.json']),
    );
  });
});

describe('/admin/metrics.json', () => {
  it('is flat Linkerd keys with histogram suffixes', async () => {
    recordRequest(stats, 'http', true, 12);
    recordRequest(stats, 'http', false, 40);
    const m = (await (await fetch(`${url}/admin/metrics.json`)).json()) as Record<string, number>;
    expect(m['rt/http/server/0.0.0.0/18080/requests']).toBe(2);
    expect(m['rt/http/server/0.0.0.0/18080/success']).toBe(1);
    expect(m['rt/http/service/svc/web/failures']).toBe(1);
    expect(m['rt/http/server/0.0.0.0/18080/request_latency_ms.count']).toBe(2);
    expect(m['rt/http/server/0.0.0.0/18080/request_latency_ms.max']).toBe(40);
    expect(m['rt/http/server/0.0.0.0/18080/request_latency_ms.p9990']).toBeGreaterThan(0);
    expect(m['process/rss_bytes']).toBeGreaterThan(0);
  });

  it('filters by ?q= prefix', async () => {
    recordRequest(stats, 'http', true, 5);
    const m = (await (await fetch(`${url}/admin/metrics.json?q=rt/http/client/`)).json()) as Record<
      string,
      number
    >;
    expect(Object.keys(m).length).toBeGreaterThan(0);
    for (const k of Object.keys(m)) expect(k.startsWith('rt/http/client/')).toBe(true);
  });

  it('nests with ?tree=1 and 404s an unknown subtree', async () => {
    recordRequest(stats, 'http', true, 5);
    const tree = (await (
      await fetch(`${url}/admin/metrics.json?tree=1&q=rt/http/server/0.0.0.0/18080`)
    ).json()) as Record<string, Record<string, number>>;
    expect(tree.requests).toEqual({ counter: 1 });
    expect(tree.request_latency_ms?.['stat.count']).toBe(1);
    const missing = await fetch(`${url}/admin/metrics.json?tree=1&q=rt/nope`);
    expect(missing.status).toBe(404);
  });
});

/** The 0.0.4 line grammar: comments, or `name{labels} value`. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? (NaN|[+-]Inf|-?[0-9.eE+-]+)$/;

describe('/admin/metrics/prometheus', () => {
  it('is valid text exposition with counters, gauges and histograms', async () => {
    recordRequest(stats, 'http', true, 3);
    recordRequest(stats, 'http', true, 250);
    recordRequest(stats, 'http', false, 7);
    const g = stats.gauge(['rt', 'http', 'server', '0.0.0.0/18080', 'connections'], () => 4);
    stats
      .scope('rt', 'http', 'client', '$/inet/127.0.0.1/8080', 'service', 'svc/web')
      .counter('requests')
      .incr(2);
    stats.counter('odd name', 'with-dash"quote');
    const res = await fetch(`${url}/admin/metrics/prometheus`);
    g.dispose();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);

    // Grammar: every line is a comment we emit or a well-formed sample; one TYPE per family.
    const typed = new Set<string>();
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('# TYPE ')) {
        const name = line.split(' ')[2] as string;
        expect(typed.has(name), `duplicate TYPE ${name}`).toBe(false);
        typed.add(name);
      } else if (!line.startsWith('# HELP ')) {
        expect(line).toMatch(SAMPLE_LINE);
      }
    }

    const families = parsePrometheus(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const requests = byName.get('rt_server_requests_total');
    expect(requests?.type).toBe('COUNTER');
    expect(requests?.metrics).toEqual([{ value: '3', labels: { rt: 'http', server: '0.0.0.0/18080' } }]);
    expect(byName.get('rt_service_failures_total')?.metrics).toEqual([
      { value: '1', labels: { rt: 'http', service: 'svc/web' } },
    ]);
    expect(byName.get('rt_client_service_requests_total')?.metrics).toEqual([
      { value: '2', labels: { rt: 'http', client: '$/inet/127.0.0.1/8080', service: 'svc/web' } },
    ]);
    expect(byName.get('rt_server_connections')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '4' }] });
    expect(byName.get('odd_name_with_dash_quote_total')?.type).toBe('COUNTER');

    const latency = byName.get('rt_server_request_latency_seconds');
    expect(latency?.type).toBe('HISTOGRAM');
    // This parser folds a histogram's series into one bucket map and drops their labels, so the
    // labels, _sum and _count are checked on the raw lines.
    const h = latency?.metrics[0] as { buckets: Record<string, string> };
    expect(h.buckets['+Inf']).toBe('3');
    expect(text).toContain(
      'rt_server_request_latency_seconds_bucket{rt="http",server="0.0.0.0/18080",le="+Inf"} 3\n',
    );
    expect(text).toContain('rt_server_request_latency_seconds_sum{rt="http",server="0.0.0.0/18080"} 0.26\n');
    expect(text).toContain('rt_server_request_latency_seconds_count{rt="http",server="0.0.0.0/18080"} 3\n');
    // Cumulative: non-decreasing in `le`.
    const les = Object.entries(h.buckets)
      .map(([le, c]) => [le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(c)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < les.length; i++) expect(les[i]![1]).toBeGreaterThanOrEqual(les[i - 1]![1]);
    expect(les.find(([le]) => le >= 0.005)?.[1]).toBe(1); // 3 ms is under the 5 ms bound
    expect(byName.get('process_rss_bytes')?.type).toBe('GAUGE');
  });
});

describe('security', () => {
  it('refuses foreign Host names on loopback (DNS rebinding) but accepts its own', async () => {
    const port = new URL(url).port;
    expect((await raw(url, '/admin/ping', { headers: { host: `attacker.example:${port}` } })).status).toBe(
      403,
    );
    expect((await raw(url, '/admin/ping', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await raw(url, '/admin/ping', { headers: { host: `127.0.0.1:${port}` } })).status).toBe(200);
  });

  it('accepts configured extra host names', async () => {
    const s = createAdminServer({ port: 0, allowedHosts: ['admin.internal'] });
    await s.listen();
    try {
      expect((await raw(s.url, '/admin/ping', { headers: { host: 'admin.internal:19990' } })).status).toBe(
        200,
      );
    } finally {
      await s.close();
    }
  });

  it('reads are GET only; no CORS headers; errors are text', async () => {
    const post = await fetch(`${url}/admin/metrics.json`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const options = await fetch(`${url}/admin/ping`, { method: 'OPTIONS', headers: { origin: 'http://x' } });
    expect(options.status).toBe(405);
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
    const ping = await fetch(`${url}/admin/ping`, { headers: { origin: 'http://x' } });
    expect(ping.headers.get('access-control-allow-origin')).toBeNull();
    expect(ping.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('serves the dashboard with a strict CSP and no external assets', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(`${url}/dashboard.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${url}/dashboard.css`)).status).toBe(200);
    expect((await fetch(`${url}/delegator`)).status).toBe(200);
  });
});

describe('dashboard feeds', () => {
  it('/admin/dashboard.json aggregates per router, server, service and client', async () => {
    recordRequest(stats, 'http', true, 10);
    recordRequest(stats, 'http', false, 20);
    const feed = (await (await fetch(`${url}/admin/dashboard.json`)).json()) as {
      routers: {
        label: string;
        requests: number;
        failures: number;
        dtab: string;
        servers: { requests: number }[];
      }[];
      readiness: { name: string; ready: boolean }[];
      process: { rssBytes: number; eventLoopLag: { p99: number } };
    };
    const http = feed.routers.find((r) => r.label === 'http');
    expect(http).toMatchObject({ requests: 2, failures: 1 });
    expect(http?.servers[0]?.requests).toBe(2);
    expect(http?.dtab).toContain('/svc/web=>/$/inet/127.0.0.1/8080');
    expect(feed.readiness).toEqual([
      { name: 'files', ready: true },
      { name: 'k8s ingress watch', ready: false },
    ]);
    expect(feed.process.rssBytes).toBeGreaterThan(0);
  });

  it('/admin/requests.json merges recent requests newest first', async () => {
    const s = createAdminServer({
      port: 0,
      routers: [
        testRouter('http', '/svc=>/$/inet/127.0.0.1/1', {
          recent: () => [
            { timestamp: 5, router: 'http', method: 'GET', uri: '/a', status: 200, durationMs: 1 },
          ],
        }),
      ],
      recentRequests: () => [
        { timestamp: 9, router: 'http', method: 'GET', uri: '/b', status: 502, durationMs: 2 },
      ],
    });
    await s.listen();
    try {
      const list = (await (await fetch(`${s.url}/admin/requests.json`)).json()) as { uri: string }[];
      expect(list.map((r) => r.uri)).toEqual(['/b', '/a']);
    } finally {
      await s.close();
    }
  });
});
