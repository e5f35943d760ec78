/**
 * What telemetry costs a request: span creation/finish (sampled and not), header extraction and
 * injection, and rendering the metrics endpoints for a registry the size of a busy router.
 * Run: pnpm --filter @switchyard/telemetry bench. Reports only; never asserts speed.
 */
import { EventEmitter } from 'node:events';
import { createMetricsRegistry } from '@switchyard/core';
import { bench, describe } from 'vitest';
import { flattenMetrics } from '../src/metrics-json.js';
import type { ObservedBound, ObservedHeldResponse, ObservedInbound } from '../src/observed.js';
import { formatPrometheus } from '../src/prometheus.js';
import {
  createTracer,
  extractTraceContext,
  injectTraceContext,
  type ZipkinSpan,
} from '../src/tracing/index.js';
import { attemptTracingClientLayer, tracingServerLayer } from '../src/tracing-layers.js';

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

/**
 * The typed tracing layers around a request that does nothing, as the router's server and client
 * stacks run them: a stand-in exchange (its response an EventEmitter that closes at once) and a
 * realistic head. `off` is the handler alone.
 */
function layered(rate: number | undefined) {
  const tracer = rate === undefined ? undefined : createTracer({ sampleRate: rate, exporter });
  const held: ObservedHeldResponse = { status: 200, headers: {}, relay: async () => 200, discard: () => {} };
  const dispatch = async (_: ObservedBound) => held;
  const client = tracer ? attemptTracingClientLayer<ObservedBound>(tracer).layer(dispatch) : dispatch;
  const inner = async (value: ObservedInbound) => {
    await (await client({ kind: 'bound', identified: { request: value } })).relay();
  };
  const handler = tracer ? tracingServerLayer<ObservedInbound>(tracer).layer(inner) : inner;
  const record = { dst: undefined, service: '/svc/web', client: '/$/inet/10.0.0.1/80', endpoint: undefined };
  return async () => {
    const res = Object.assign(new EventEmitter(), { statusCode: 200 });
    await handler({
      kind: 'inbound',
      exchange: {
        router: 'http',
        server: { clearContext: false },
        req: undefined as never,
        res: res as never,
        record,
        locals: {},
      },
      head: { method: 'GET', url: '/', headers: { host: 'web', 'user-agent': 'bench', accept: '*/*' } },
      clientHost: 'web',
    });
    res.emit('close');
  };
}

describe('tracing layers per request (server span + one attempt), no caller context', () => {
  const off = layered(undefined);
  const byDefault = layered(0.001);
  const onePercent = layered(0.01);
  const all = layered(1);
  bench('off (no tracing layers)', off);
  bench('default (sampleRate 0.001)', byDefault);
  bench('1 % sampled', onePercent);
  bench('100 % sampled', all);
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
