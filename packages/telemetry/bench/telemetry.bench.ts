/**
 * What telemetry costs a request: span creation/finish (sampled and not), header extraction and
 * injection, and rendering the metrics endpoints for a registry the size of a busy router.
 * Run: pnpm --filter @switchyard/telemetry bench. Reports only; never asserts speed.
 */
import { createMetricsRegistry } from '@switchyard/core';
import { bench, describe } from 'vitest';
import { flattenMetrics } from '../src/metrics-json.js';
import { formatPrometheus } from '../src/prometheus.js';
import {
  createTracer,
  extractTraceContext,
  injectTraceContext,
  type ZipkinSpan,
} from '../src/tracing/index.js';

const sink: ZipkinSpan[] = [];
const exporter = {
  export(s: ZipkinSpan) {
    sink.push(s);
    if (sink.length > 1000) sink.length = 0;
  },
};
const sampled = createTracer({ sampleRate: 1, exporter });
const unsampled = createTracer({ sampleRate: 0, exporter });
const incoming = {
  host: 'web.example.com',
  'user-agent': 'bench',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('per request', () => {
  bench('request + attempt spans, sampled', () => {
    const s = sampled.startSpan({ name: 'GET', kind: 'SERVER' });
    const a = sampled.startSpan({ name: 'attempt', kind: 'CLIENT', parent: s.context });
    a.setTag('http.status_code', 200);
    a.finish();
    s.finish();
  });
  bench('request + attempt spans, not sampled', () => {
    const s = unsampled.startSpan({ name: 'GET', kind: 'SERVER' });
    const a = unsampled.startSpan({ name: 'attempt', kind: 'CLIENT', parent: s.context });
    a.setTag('http.status_code', 200);
    a.finish();
    s.finish();
  });
  bench('extract traceparent + inject all formats', () => {
    const ctx = extractTraceContext(incoming);
    if (ctx !== undefined) injectTraceContext(incoming, ctx);
  });
});

// A router with 4 servers, 200 logical names and 400 clients: ~4,000 series.
const stats = createMetricsRegistry();
for (let i = 0; i < 4; i++) {
  const s = stats.scope('rt', 'http', 'server', `0.0.0.0/${4140 + i}`);
  for (const c of ['requests', 'success', 'failures']) s.counter(c).incr(1000);
  s.histogram('request_latency_ms').add(i + 1);
}
for (let i = 0; i < 200; i++) {
  const s = stats.scope('rt', 'http', 'service', `svc/default/80/app-${i}`);
  for (const c of ['requests', 'success', 'failures']) s.counter(c).incr(i);
  s.histogram('request_latency_ms').add(i);
}
for (let i = 0; i < 400; i++) {
  const s = stats.scope('rt', 'http', 'client', `#/io.l5d.k8s/default/http/app-${i}`);
  for (const c of ['requests', 'success', 'failures', 'retries']) s.counter(c).incr(i);
  s.histogram('request_latency_ms').add(i);
}

describe('scrape (≈600 counters families, 604 histograms)', () => {
  bench('snapshot + /admin/metrics/prometheus', () => {
    formatPrometheus(stats.snapshot());
  });
  bench('snapshot + /admin/metrics.json', () => {
    flattenMetrics(stats.snapshot());
  });
});
