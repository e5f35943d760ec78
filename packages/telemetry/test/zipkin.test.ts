/** The Zipkin exporter against a local HTTP collector on 127.0.0.1. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsRegistry } from '@switchyard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { extractTraceContext, injectTraceContext, type ZipkinSpan } from '../src/tracing/index.js';
import { createZipkinTracing, ZipkinExporter } from '../src/zipkin/index.js';

interface Collector {
  readonly port: number;
  readonly batches: ZipkinSpan[][];
  readonly requests: IncomingMessage[];
  status: number;
  close(): Promise<void>;
}

let collectors: Collector[] = [];

async function collector(): Promise<Collector> {
  const batches: ZipkinSpan[][] = [];
  const requests: IncomingMessage[] = [];
  const c = { batches, requests, status: 202 } as Collector & { status: number };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      requests.push(req);
      batches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ZipkinSpan[]);
      res.statusCode = c.status;
      if (c.status === 503) res.setHeader('retry-after', '0');
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  Object.assign(c, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
  collectors.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(collectors.map((c) => c.close()));
  collectors = [];
});

describe('io.l5d.zipkin over HTTP', () => {
  it('posts v2 JSON batches of request and attempt spans', async () => {
    const zipkin = await collector();
    const stats = createMetricsRegistry();
    const { tracer, exporter } = createZipkinTracing(
      { kind: 'io.l5d.zipkin', host: '127.0.0.1', port: zipkin.port, sampleRate: 1, serviceName: 'edge' },
      { stats },
    );
    // A request arrives with a B3 parent; one attempt goes downstream with the injected context.
    const incoming = { 'x-b3-traceid': 'a'.repeat(32), 'x-b3-spanid': 'b'.repeat(16), 'x-b3-sampled': '1' };
    const server = tracer.startSpan({ name: 'get /', kind: 'SERVER', parent: extractTraceContext(incoming) });
    const attempt = tracer.startSpan({ name: 'get /', kind: 'CLIENT', parent: server.context });
    const outgoing = injectTraceContext({ host: 'web' }, attempt.context);
    attempt.finish();
    server.finish();
    expect(exporter.queued).toBe(2); // queued, not sent on the request path
    await exporter.close();

    expect(zipkin.requests[0]?.url).toBe('/api/v2/spans');
    expect(zipkin.requests[0]?.headers['content-type']).toBe('application/json');
    const spans = zipkin.batches.flat();
    expect(spans.map((s) => s.kind).sort()).toEqual(['CLIENT', 'SERVER']);
    const s = spans.find((x) => x.kind === 'SERVER') as ZipkinSpan;
    const a = spans.find((x) => x.kind === 'CLIENT') as ZipkinSpan;
    expect(s).toMatchObject({
      traceId: 'a'.repeat(32),
      parentId: 'b'.repeat(16),
      localEndpoint: { serviceName: 'edge' },
    });
    expect(a.parentId).toBe(s.id);
    expect(outgoing['x-b3-spanid']).toBe(a.id);
    expect(outgoing.traceparent).toBe(`00-${'a'.repeat(32)}-${a.id}-01`);
    expect(stats.snapshot().find((m) => m.name.join('/') === 'zipkin/spans_sent')).toMatchObject({
      value: 2,
    });
  });

  it('sends a full batch without waiting for the timer, in batchSize chunks', async () => {
    const zipkin = await collector();
    const exporter = new ZipkinExporter({
      host: '127.0.0.1',
      port: zipkin.port,
      batchSize: 3,
      flushIntervalMs: 60_000,
    });
    const span = (i: number): ZipkinSpan => ({
      traceId: 'c'.repeat(32),
      id: i.toString(16).padStart(16, '0'),
      name: 'x',
      kind: 'SERVER',
      timestamp: 1,
      duration: 1,
      localEndpoint: { serviceName: 's' },
      tags: {},
      annotations: [],
    });
    for (let i = 1; i <= 3; i++) exporter.export(span(i));
    await expect.poll(() => zipkin.batches.length, { timeout: 5000 }).toBe(1);
    expect(zipkin.batches[0]).toHaveLength(3);
    for (let i = 4; i <= 8; i++) exporter.export(span(i));
    await exporter.close();
    expect(zipkin.batches.map((b) => b.length)).toEqual([3, 3, 2]);
    exporter.export(span(9)); // after close: dropped
    expect(exporter.queued).toBe(0);
  });

  it('drops and reports a batch the collector rejects, and bounds the queue', async () => {
    const zipkin = await collector();
    zipkin.status = 500;
    const stats = createMetricsRegistry();
    const exporter = new ZipkinExporter({
      host: '127.0.0.1',
      port: zipkin.port,
      batchSize: 2,
      maxQueue: 2,
      stats,
    });
    const events: unknown[] = [];
    const on = (m: unknown) => events.push(m);
    subscribe('switchyard:telemetry:zipkin-error', on);
    try {
      const span = {
        traceId: 'c'.repeat(32),
        id: '1'.repeat(16),
        name: 'x',
        kind: 'SERVER' as const,
        timestamp: 1,
        duration: 1,
        localEndpoint: {},
        tags: {},
        annotations: [],
      };
      exporter.export(span);
      exporter.export(span);
      exporter.export(span); // queue full (2): dropped at once
      await exporter.close();
    } finally {
      unsubscribe('switchyard:telemetry:zipkin-error', on);
    }
    expect(events).toHaveLength(1);
    expect((events[0] as { error: { code: string; message: string } }).error.code).toBe(
      'SY_ERR_TELEMETRY_ZIPKIN_EXPORT',
    );
    expect((events[0] as { error: { message: string } }).error.message).toContain('collector answered 500');
    const counters = Object.fromEntries(
      stats.snapshot().flatMap((m) => (m.kind === 'counter' ? [[m.name.join('/'), m.value]] : [])),
    );
    expect(counters).toMatchObject({ spans_dropped: 3, export_failures: 1 });
  });

  it('retries a 503 (honouring Retry-After) and delivers the same batch, through the shared queue', async () => {
    const zipkin = await collector();
    zipkin.status = 503;
    const stats = createMetricsRegistry();
    const exporter = new ZipkinExporter({
      host: '127.0.0.1',
      port: zipkin.port,
      batchSize: 2,
      // Without Retry-After (0 s) the retry would wait the full first back-off: 20 s.
      initialBackoffMs: 20_000,
      random: () => 1,
      stats,
    });
    const events: { retrying: boolean; error: { message: string } }[] = [];
    const on = (m: unknown) => {
      events.push(m as (typeof events)[number]);
      zipkin.status = 202; // the collector is back for the retry
    };
    subscribe('switchyard:telemetry:zipkin-error', on);
    try {
      const span = (id: string): ZipkinSpan => ({
        traceId: 'd'.repeat(32),
        id,
        name: 'x',
        kind: 'SERVER',
        timestamp: 1,
        duration: 1,
        localEndpoint: {},
        tags: {},
        annotations: [],
      });
      exporter.export(span('1'.repeat(16)));
      exporter.export(span('2'.repeat(16)));
      await expect.poll(() => zipkin.batches.length, { timeout: 5000 }).toBe(2);
      await exporter.close();
    } finally {
      unsubscribe('switchyard:telemetry:zipkin-error', on);
    }
    expect(zipkin.batches.map((b) => b.map((x) => x.id))).toEqual([
      ['1'.repeat(16), '2'.repeat(16)],
      ['1'.repeat(16), '2'.repeat(16)],
    ]);
    expect(events.map((e) => e.retrying)).toEqual([true]);
    expect(events[0]!.error.message).toContain('collector answered 503 (will retry)');
    const counters = Object.fromEntries(
      stats.snapshot().flatMap((m) => (m.kind === 'counter' ? [[m.name.join('/'), m.value]] : [])),
    );
    expect(counters).toMatchObject({ spans_sent: 2, export_retries: 1, export_failures: 1 });
    expect(counters.spans_dropped ?? 0).toBe(0);
  });

  it('reports an unreachable collector without throwing', async () => {
    const zipkin = await collector();
    const port = zipkin.port;
    await zipkin.close();
    collectors = [];
    const events: unknown[] = [];
    const on = (m: unknown) => events.push(m);
    subscribe('switchyard:telemetry:zipkin-error', on);
    try {
      const { tracer, exporter } = createZipkinTracing({
        kind: 'io.l5d.zipkin',
        host: '127.0.0.1',
        port,
        sampleRate: 1,
      });
      tracer.startSpan({ name: 'x', kind: 'SERVER' }).finish();
      await exporter.close();
    } finally {
      unsubscribe('switchyard:telemetry:zipkin-error', on);
    }
    expect(events).toHaveLength(1);
  });
});
