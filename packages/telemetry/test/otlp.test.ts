/**
 * The OTLP/HTTP exporter against a collector stand-in: a real HTTP server on 127.0.0.1 that
 * decodes OTLP protobuf (with `decodeOtlpProtobuf`, checked against protobufjs in
 * otlp-protobuf.test.ts) or JSON requests by their content-type. Batching, retries with back-off, and a collector outage that
 * must neither block `export` nor hold more than `maxQueue` spans.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsRegistry } from '@switchyard/core';
import { counterValue } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createOtlpTracing,
  decodeOtlpProtobuf,
  encodeOtlpTraces,
  type OtlpEncoding,
  type OtlpErrorEvent,
  OtlpExporter,
  type OtlpTraceRequest,
  otlpResource,
} from '../src/otlp/index.js';
import { createTracer, type ZipkinSpan } from '../src/tracing/index.js';

interface Collector {
  readonly url: string;
  readonly requests: { readonly headers: IncomingHttpHeaders; readonly body: OtlpTraceRequest }[];
  /** Status for the next requests (then 200); a function decides per request. */
  answer: (n: number) => { status: number; headers?: Record<string, string>; body?: string | Uint8Array };
  close(): Promise<void>;
}

const collectors: Collector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
});

/** An OTLP/HTTP request body by its content-type, as a collector reads it. */
function decodeBody(headers: IncomingHttpHeaders, body: Buffer): OtlpTraceRequest {
  if (headers['content-type'] === 'application/x-protobuf') return decodeOtlpProtobuf(body);
  expect(headers['content-type']).toBe('application/json');
  return JSON.parse(body.toString('utf8')) as OtlpTraceRequest;
}

/** `ExportTraceServiceResponse{partial_success{rejected_spans: 1}}` in protobuf. */
const REJECTED_ONE = Buffer.from('0a020801', 'hex');

async function collector(): Promise<Collector> {
  const c = {
    requests: [],
    answer: () => ({ status: 200, body: '{}' }),
  } as unknown as Collector & { requests: Collector['requests'] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      c.requests.push({ headers: req.headers, body: decodeBody(req.headers, Buffer.concat(chunks)) });
      const a = c.answer(c.requests.length);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  Object.assign(c, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
  collectors.push(c);
  return c;
}

function spansOf(c: Collector) {
  return c.requests.flatMap((r) =>
    r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
  );
}

const span = (i: number): ZipkinSpan => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  id: (i + 1).toString(16).padStart(16, '0'),
  name: 'get',
  kind: 'SERVER',
  timestamp: 1_700_000_000_000_000 + i,
  duration: 10,
  localEndpoint: { serviceName: 'switchyard' },
  tags: {},
  annotations: [],
});

describe('OTLP JSON encoding', () => {
  it('writes hex ids, ns times as strings, span kinds and semantic-convention attributes', () => {
    const request = encodeOtlpTraces(
      [
        {
          traceId: '00f067aa0ba902b7', // 64-bit (B3 / l5d-ctx-trace)
          id: '53995c3f42cd8ad8',
          parentId: '00f067aa0ba902b7',
          name: 'get',
          kind: 'CLIENT',
          timestamp: 1_700_000_000_123_456,
          duration: 789,
          localEndpoint: { serviceName: 's' },
          remoteEndpoint: { ipv4: '10.0.0.7', port: 8080 },
          tags: {
            'http.method': 'GET',
            'http.status_code': '503',
            'l5d.service': '/svc/web',
            error: 'ECONNRESET',
          },
          annotations: [{ timestamp: 1_700_000_000_123_500, value: 'retry' }],
        },
      ],
      otlpResource({ serviceName: 'edge', env: {} }),
    );
    expect(request).toEqual({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'edge' } }] },
          scopeSpans: [
            {
              scope: { name: '@switchyard/telemetry', version: '0.1.0' },
              spans: [
                {
                  traceId: '000000000000000000f067aa0ba902b7',
                  spanId: '53995c3f42cd8ad8',
                  parentSpanId: '00f067aa0ba902b7',
                  name: 'get',
                  kind: 3,
                  startTimeUnixNano: '1700000000123456000',
                  endTimeUnixNano: '1700000000124245000',
                  attributes: [
                    { key: 'http.request.method', value: { stringValue: 'GET' } },
                    { key: 'http.response.status_code', value: { intValue: '503' } },
                    { key: 'l5d.service', value: { stringValue: '/svc/web' } },
                    { key: 'server.address', value: { stringValue: '10.0.0.7' } },
                    { key: 'server.port', value: { intValue: '8080' } },
                  ],
                  events: [{ timeUnixNano: '1700000000123500000', name: 'retry' }],
                  status: { code: 2, message: 'ECONNRESET' },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('reads the resource from the downward API, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, options last', () => {
    const env = {
      POD_NAME: 'ingress-7d9f-abcde',
      POD_NAMESPACE: 'linkerd',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,k8s.namespace.name=edge%20ns,bad=%zz',
      OTEL_SERVICE_NAME: 'from-env',
    };
    const attrs = (o: Parameters<typeof otlpResource>[0]) =>
      Object.fromEntries(
        otlpResource(o).map((a) => [a.key, (a.value as { stringValue: string }).stringValue]),
      );
    expect(attrs({ env })).toEqual({
      'deployment.environment': 'prod',
      'k8s.namespace.name': 'edge ns',
      'k8s.pod.name': 'ingress-7d9f-abcde',
      'service.name': 'from-env',
    });
    expect(attrs({ env, serviceName: 'cfg', attributes: { 'k8s.pod.name': 'x' } })).toMatchObject({
      'service.name': 'cfg',
      'k8s.pod.name': 'x',
    });
    expect(attrs({ env: {} })).toEqual({ 'service.name': 'switchyard' });
  });
});

describe('OtlpExporter', () => {
  it.each([
    ['protobuf', 'application/x-protobuf'],
    ['json', 'application/json'],
  ] as const)(
    'delivers spans in batches with the configured headers and resource (%s)',
    async (encoding, type) => {
      const c = await collector();
      const stats = createMetricsRegistry();
      const exporter = new OtlpExporter({
        ...(encoding === 'json' ? { encoding } : {}), // protobuf is the default
        endpoint: c.url,
        headers: { authorization: 'Bearer t0ken' },
        resource: otlpResource({ serviceName: 'edge', env: { POD_NAME: 'p-1' } }),
        batchSize: 3,
        flushIntervalMs: 60_000,
        stats,
      });
      for (let i = 0; i < 7; i++) exporter.export(span(i));
      // A full batch starts sending at once (the timer is a minute away); the pump then takes
      // everything queued, the last partial batch included.
      await expect.poll(() => c.requests.length, { timeout: 5000 }).toBe(3);
      await exporter.close();
      expect(c.requests.map((r) => r.body.resourceSpans[0]!.scopeSpans[0]!.spans.length)).toEqual([3, 3, 1]);
      expect(c.requests[0]!.headers).toMatchObject({
        authorization: 'Bearer t0ken',
        'content-type': type,
      });
      expect(c.requests[0]!.body.resourceSpans[0]!.resource.attributes).toEqual([
        { key: 'k8s.pod.name', value: { stringValue: 'p-1' } },
        { key: 'service.name', value: { stringValue: 'edge' } },
      ]);
      expect(spansOf(c).map((s) => s.spanId)).toEqual([...Array(7).keys()].map((i) => span(i).id));
      expect(counterValue(stats, 'spans_sent')).toBe(7);
      expect(counterValue(stats, 'spans_dropped')).toBe(0);
    },
  );

  it.each<OtlpEncoding>(['protobuf', 'json'])(
    'retries 503 and connection failures with back-off, honouring Retry-After, then delivers (%s)',
    async (encoding) => {
      const c = await collector();
      // A collector answers in the request's encoding; its partial success counts as dropped.
      const ok =
        encoding === 'protobuf'
          ? { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: REJECTED_ONE }
          : { status: 200, body: '{"partialSuccess":{"rejectedSpans":1}}' };
      c.answer = (n) =>
        n === 1 ? { status: 503 } : n === 2 ? { status: 429, headers: { 'retry-after': '0' } } : ok;
      const stats = createMetricsRegistry();
      const events: OtlpErrorEvent[] = [];
      const on = (m: unknown) => events.push(m as OtlpErrorEvent);
      subscribe('switchyard:telemetry:otlp-error', on);
      try {
        const exporter = new OtlpExporter({
          encoding,
          endpoint: c.url,
          batchSize: 2,
          initialBackoffMs: 20,
          stats,
        });
        exporter.export(span(0));
        exporter.export(span(1));
        await expect.poll(() => counterValue(stats, 'spans_sent'), { timeout: 5000 }).toBe(1);
        await exporter.close();
      } finally {
        unsubscribe('switchyard:telemetry:otlp-error', on);
      }
      // The same batch three times: 503, 429, then accepted with one span rejected.
      expect(
        c.requests.map((r) => r.body.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.spanId)),
      ).toEqual([
        [span(0).id, span(1).id],
        [span(0).id, span(1).id],
        [span(0).id, span(1).id],
      ]);
      expect(counterValue(stats, 'export_retries')).toBe(2);
      expect(counterValue(stats, 'export_failures')).toBe(2);
      expect(counterValue(stats, 'spans_dropped')).toBe(1);
      expect(events.map((e) => [e.error.code, e.retrying])).toEqual([
        ['SY_ERR_TELEMETRY_OTLP_EXPORT', true],
        ['SY_ERR_TELEMETRY_OTLP_EXPORT', true],
      ]);
      expect(events[0]!.error.message).toContain(`otlp export to ${c.url} failed: collector answered 503`);
    },
  );

  it('drops a batch the collector refuses (400) without retrying', async () => {
    const c = await collector();
    c.answer = () => ({ status: 400, body: '{"message":"bad"}' });
    const stats = createMetricsRegistry();
    const exporter = new OtlpExporter({ endpoint: c.url, batchSize: 1, initialBackoffMs: 1, stats });
    exporter.export(span(0));
    await expect.poll(() => counterValue(stats, 'spans_dropped'), { timeout: 5000 }).toBe(1);
    await exporter.close();
    expect(c.requests).toHaveLength(1);
    expect(counterValue(stats, 'export_retries')).toBe(0);
  });

  it('during an outage: export never blocks, holds at most maxQueue spans, counts drops, recovers', async () => {
    // A port nobody listens on: every attempt is refused until the collector comes up there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const stats = createMetricsRegistry();
    const exporter = new OtlpExporter({
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
      batchSize: 10,
      maxQueue: 50,
      flushIntervalMs: 5,
      initialBackoffMs: 20,
      maxBackoffMs: 40,
      maxAttempts: 1000,
      stats,
    });
    let maxHeld = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < 5000; i++) {
      exporter.export(span(i));
      maxHeld = Math.max(maxHeld, exporter.held);
    }
    // 5000 exports while the collector is down: synchronous pushes, no I/O waited for.
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(1000);
    expect(maxHeld).toBe(50);
    expect(counterValue(stats, 'spans_dropped')).toBe(4950);
    await expect
      .poll(() => counterValue(stats, 'export_retries'), { timeout: 5000 })
      .toBeGreaterThanOrEqual(2);
    expect(exporter.held).toBeLessThanOrEqual(50);

    // The collector comes back on that port: what was held is delivered.
    const back = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        received.push(
          ...decodeBody(req.headers, Buffer.concat(chunks)).resourceSpans[0]!.scopeSpans[0]!.spans,
        );
        res.writeHead(200).end('{}');
      });
    });
    const received: { spanId: string }[] = [];
    await new Promise<void>((r) => back.listen(port, '127.0.0.1', () => r()));
    try {
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(50);
      // The collector has the last batch before the exporter has read its answer.
      await expect.poll(() => counterValue(stats, 'spans_sent'), { timeout: 5000 }).toBe(50);
      expect(exporter.held).toBe(0);
      await exporter.close();
    } finally {
      await new Promise<void>((r) => back.close(() => r()));
    }
  });

  it('rejects an endpoint that is not an http(s) URL', () => {
    expect(() => new OtlpExporter({ endpoint: 'grpc://collector:4317' })).toThrow(
      'endpoint: "grpc://collector:4317" is not an http(s) URL',
    );
  });
});

describe('createOtlpTracing', () => {
  it('exports sampled spans as a parent/child tree continuing the caller trace', async () => {
    const c = await collector();
    const { tracer, exporter } = createOtlpTracing(
      { kind: 'io.l5d.otlp', endpoint: c.url, sampleRate: 1, serviceName: 'edge' },
      { env: { POD_NAMESPACE: 'linkerd' } },
    );
    const server = tracer.startSpan({
      name: 'get',
      kind: 'SERVER',
      parent: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true },
    });
    const attempt = tracer.startSpan({ name: 'get', kind: 'CLIENT', parent: server.context });
    attempt.finish();
    server.finish();
    createTracer({ sampleRate: 0, exporter }).startSpan({ name: 'x', kind: 'SERVER' }).finish();
    await exporter.close();
    const [client, srv] = spansOf(c);
    expect(spansOf(c)).toHaveLength(2);
    expect(srv).toMatchObject({
      kind: 2,
      parentSpanId: '00f067aa0ba902b7',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(client).toMatchObject({ kind: 3, parentSpanId: srv!.spanId, traceId: srv!.traceId });
    expect(c.requests[0]!.body.resourceSpans[0]!.resource.attributes).toEqual([
      { key: 'k8s.namespace.name', value: { stringValue: 'linkerd' } },
      { key: 'service.name', value: { stringValue: 'edge' } },
    ]);
  });
});
