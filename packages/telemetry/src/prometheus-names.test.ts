import { describe, expect, it } from 'vitest';
import { prometheusName, sanitizeMetricName } from './prometheus-names.js';

describe('prometheus names', () => {
  it('puts the router and server in labels, ip and port as one or two segments', () => {
    const expected = {
      name: 'rt_server_requests_total',
      labels: [
        ['rt', 'h'],
        ['server', '0.0.0.0/4140'],
      ],
      scale: 1,
      scope: 'rt/*/server/*/requests',
    };
    expect(prometheusName(['rt', 'h', 'server', '0.0.0.0', '4140', 'requests'], 'counter')).toEqual(expected);
    expect(prometheusName(['rt', 'h', 'server', '0.0.0.0/4140', 'requests'], 'counter')).toEqual(expected);
  });

  it('puts endpoint addresses and certificate paths in labels, never in the name', () => {
    const ep = prometheusName(
      ['rt', 'h', 'client', '#/io.l5d.k8s/default/http/web', 'endpoint', '[fd00::1]:8080', 'requests'],
      'counter',
    );
    expect(ep.name).toBe('rt_client_endpoint_requests_total');
    expect(ep.labels).toEqual([
      ['rt', 'h'],
      ['client', '#/io.l5d.k8s/default/http/web'],
      ['endpoint', '[fd00::1]:8080'],
    ]);
    const cert = prometheusName(
      ['rt', 'h', 'server', '0.0.0.0', '443', 'tls', 'certificate', '/etc/tls/a.pem', 'expires_in_seconds'],
      'gauge',
    );
    expect(cert.name).toBe('rt_server_tls_certificate_expires_in_seconds');
    expect(cert.labels).toEqual([
      ['rt', 'h'],
      ['server', '0.0.0.0/443'],
      ['certificate', '/etc/tls/a.pem'],
    ]);
    expect(cert.scope).toBe('rt/*/server/*/tls/certificate/*/expires_in_seconds');
    // Outside a router too (a TLS server with stats at the root).
    expect(prometheusName(['tls', 'certificate', 'etc_tls_b.pem', 'expires_in_seconds']).labels).toEqual([
      ['certificate', 'etc_tls_b.pem'],
    ]);
  });

  it('adds _total to counters exactly once', () => {
    expect(prometheusName(['rt', 'h', 'service', 'svc/web', 'retries', 'total'], 'counter').name).toBe(
      'rt_service_retries_total',
    );
    expect(prometheusName(['namer', 'io.l5d.dnssrv', 'lookup_failures_total'], 'counter').name).toBe(
      'namer_io_l5d_dnssrv_lookup_failures_total',
    );
    expect(
      prometheusName(['rt', 'h', 'service', 'svc/web', 'retries', 'budget_exhausted'], 'counter').name,
    ).toBe('rt_service_retries_budget_exhausted_total');
    expect(prometheusName(['rt', 'h', 'server', '0.0.0.0/1', 'connections'], 'gauge').name).toBe(
      'rt_server_connections',
    );
  });

  it('exports milliseconds as seconds', () => {
    const p = prometheusName(['rt', 'h', 'service', 'svc/web', 'request_latency_ms'], 'histogram');
    expect(p).toMatchObject({ name: 'rt_service_request_latency_seconds', scale: 0.001 });
  });

  it('keeps a stat called like a label word when no stat follows it', () => {
    expect(prometheusName(['rt', 'h', 'bindcache', 'client', 'misses'], 'counter')).toMatchObject({
      name: 'rt_bindcache_client_misses_total',
      labels: [['rt', 'h']],
    });
    expect(prometheusName(['zipkin', 'spans_sent'], 'counter', 'l5d_').name).toBe(
      'l5d_zipkin_spans_sent_total',
    );
  });

  it('sanitises to [a-zA-Z0-9_]', () => {
    expect(sanitizeMetricName('9lives/x-y:z')).toBe('_9lives_x_y_z');
  });
});
