/**
 * `/admin/metrics/prometheus` against a registry shaped like a running ingress, over a real
 * socket: `promtool check metrics` (Prometheus's own parser and linter) must print nothing, no
 * endpoint address or certificate path may appear in a metric name, and `/admin/metrics.json`
 * keeps Linkerd's flat names for the same registry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../src/index.js';
import { ingressLikeStats } from './fixtures.js';

/** promtool comes with the Debian `prometheus` package. */
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
if (PROMTOOL === undefined) {
  // Visible in the run's output, not just as a skipped count.
  console.warn('promtool not found: skipping `promtool check metrics` (apt-get install prometheus)');
}

let server: AdminServer;
let stats: MetricsRegistry;

beforeEach(async () => {
  stats = createMetricsRegistry();
  ingressLikeStats(stats);
  server = createAdminServer({ port: 0, stats });
  await server.listen();
});

afterEach(async () => {
  await server.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${server.url}/admin/metrics/prometheus`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Metric names of the sample lines (not HELP/TYPE). */
function sampleNames(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => /^[^{ ]+/.exec(l)?.[0] as string),
  );
}

describe('Prometheus exposition of an ingress-shaped registry', () => {
  it.skipIf(PROMTOOL === undefined)('passes `promtool check metrics` with no lint at all', async () => {
    const text = await scrape();
    const run = spawnSync(PROMTOOL as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });

  it('keeps addresses and paths out of metric names (they are labels)', async () => {
    const text = await scrape();
    const names = sampleNames(text);
    for (const name of names) {
      expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
      expect(name, name).not.toMatch(/10_1_2_3|fd00|8080|18080|18443|etc_switchyard|secret|web_tls|world/);
      expect(name, name).not.toMatch(/_total_total|total_total/);
    }
    // Bounded: the registry has 2 servers, 2 services, 2 endpoints and 2 certificates, and every
    // instance shares its family.
    expect([...names].filter((n) => n.startsWith('rt_client_endpoint_')).sort()).toEqual([
      'rt_client_endpoint_failures_total',
      'rt_client_endpoint_requests_total',
      'rt_client_endpoint_success_total',
    ]);
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    expect(families.get('rt_client_endpoint_requests_total')?.metrics).toEqual([
      {
        value: '2',
        labels: { rt: 'http', client: '#/io.l5d.k8s/default/http/world', endpoint: '10.1.2.3:8080' },
      },
      {
        value: '2',
        labels: { rt: 'http', client: '#/io.l5d.k8s/default/http/world', endpoint: '[fd00::1]:8080' },
      },
    ]);
    expect(families.get('rt_server_tls_certificate_expires_in_seconds')?.metrics).toEqual([
      {
        value: '2592000',
        labels: { rt: 'http', server: '0.0.0.0/18443', certificate: 'etc_switchyard_tls_tls.crt' },
      },
      {
        value: '86400',
        labels: { rt: 'http', server: '0.0.0.0/18443', certificate: 'secret default/web-tls' },
      },
    ]);
    expect(families.get('rt_service_retries_total')).toMatchObject({ type: 'COUNTER' });
    expect(families.get('rt_service_retries_total')?.metrics[0]).toEqual({
      value: '2',
      labels: { rt: 'http', service: 'svc/default/80/world' },
    });
    expect(families.get('rt_server_status_2XX_total')?.metrics).toHaveLength(2);
    expect(families.get('namer_io_l5d_dnssrv_lookup_successes_total')?.type).toBe('COUNTER');
  });

  it('escapes label values (quote, backslash, newline)', async () => {
    const text = await scrape();
    expect(text).toContain('rt_service_requests_total{rt="http",service="svc/we\\"ird\\\\name\\nx"} 5\n');
  });

  it('exports latency in seconds, with HELP naming the scope', async () => {
    const text = await scrape();
    expect(text).toContain(
      '# HELP rt_server_request_latency_seconds Switchyard histogram (scope rt/*/server/*/request_latency_ms)\n',
    );
    // 0.4, 3, 12 and 250 ms.
    expect(text).toContain(
      'rt_server_request_latency_seconds_sum{rt="http",server="0.0.0.0/18080"} 0.2654\n',
    );
    expect(text).toContain(
      'rt_server_request_latency_seconds_bucket{rt="http",server="0.0.0.0/18080",le="0.005"} 2\n',
    );
    expect(text).toContain(
      'rt_server_request_latency_seconds_bucket{rt="http",server="0.0.0.0/18080",le="0.25"} 4\n',
    );
  });

  it('/admin/metrics.json keeps the flat Linkerd names', async () => {
    const m = (await (await fetch(`${server.url}/admin/metrics.json`)).json()) as Record<string, number>;
    expect(m['rt/http/client/#/io.l5d.k8s/default/http/world/endpoint/10.1.2.3:8080/requests']).toBe(2);
    expect(m['rt/http/service/svc/default/80/world/retries/total']).toBe(2);
    expect(
      m['rt/http/server/0.0.0.0/18443/tls/certificate/etc_switchyard_tls_tls.crt/expires_in_seconds'],
    ).toBe(2_592_000);
    expect(m['rt/http/server/0.0.0.0/18080/request_latency_ms.max']).toBe(250);
  });
});
