/**
 * The typed request-telemetry layers over real sockets, with values shaped as the router's stage
 * values (`Inbound` in the server stack, `Bound` in the client stack, the `Exchange` and its
 * record): what the router learned (service, client, endpoint, `l5d-reqid`) is read from
 * `exchange.record` when the response closes and shows in the span, the access log and the
 * recent-requests table; an unsampled, unlogged request passes through as the same value.
 */
import { systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { eventually, httpGet, startInboundServer, type TestInbound } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attemptTracingClientLayer,
  createRecentRequests,
  createTracer,
  type ObservedHeldResponse,
  type ObservedInbound,
  REQUEST_ID_SPAN_TAG,
  requestLogServerLayer,
  type Tracer,
  tracingServerLayer,
  type ZipkinSpan,
} from '../src/index.js';

/** The router's `Inbound` with the record its layers fill in: testkit's stand-in. */
type Inbound = TestInbound;
type Bound = { readonly kind: 'bound'; readonly identified: { readonly request: Inbound } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Seen {
  /** The inbound values the server built, one per request. */
  created?: readonly Inbound[];
  /** The inbound value the innermost server handler received. */
  inbound?: Inbound;
  /** The headers the client-stack handler (dispatch) would send upstream. */
  upstream?: ObservedInbound['head']['headers'];
}

/**
 * A server running the typed layers around a stand-in for the router: it identifies and binds
 * (writing the record, as the router's identify/bind/dispatch do), runs one attempt through the
 * client stack, then answers.
 */
async function start(
  tracer: Tracer | undefined,
  lines: string[],
  recent = createRecentRequests({ sampleRate: 1 }),
) {
  const seen: Seen = {};
  const dispatch = async (bound: Bound): Promise<ObservedHeldResponse> => {
    seen.upstream = bound.identified.request.head.headers;
    bound.identified.request.exchange.record.endpoint = '10.0.0.7:8080';
    return { status: 200, headers: {}, relay: async () => 200, discard: () => {} };
  };
  const client = tracer ? attemptTracingClientLayer<Bound>(tracer).layer(dispatch) : dispatch;
  const router = async (inbound: Inbound) => {
    seen.inbound = inbound;
    const record = inbound.exchange.record;
    await new Promise((r) => setImmediate(r));
    record.dst = Path.read('/svc/web');
    record.service = '/svc/web';
    record.client = '/$/inet/10.0.0.7/8080';
    record.requestId = 'a1b2c3d4e5f60718';
    await (await client({ kind: 'bound', identified: { request: inbound } })).relay();
    inbound.exchange.res.writeHead(200).end('hello');
  };
  const layers = [
    ...(tracer ? [tracingServerLayer<Inbound>(tracer)] : []),
    requestLogServerLayer<Inbound>({
      recent,
      accessLog: (l) => lines.push(l),
      accessLogFormat: 'json',
      clock: systemClock,
    }),
  ];
  const handler = layers.reduceRight((next, l) => l.layer(next), router);
  const server = await startInboundServer(handler);
  closers.push(() => server.close());
  seen.created = server.created;
  return { port: server.port, seen, recent };
}

/** `GET /web?q=1` (testkit's `httpGet`), resolving with the status. */
async function get(port: number, headers: Record<string, string> = {}): Promise<number> {
  return (await httpGet(`http://127.0.0.1:${port}/web?q=1`, { headers })).status;
}

/** Waits until `check` holds (testkit's `eventually`). */
const until = (check: () => boolean) => eventually(check);

describe('typed telemetry layers', () => {
  it('puts what the router learned, the request id included, in the span, the access log and the table', async () => {
    const spans: ZipkinSpan[] = [];
    const tracer = createTracer({ sampleRate: 1, exporter: { export: (s) => spans.push(s) } });
    const lines: string[] = [];
    const { port, seen, recent } = await start(tracer, lines);
    expect(await get(port, { 'user-agent': 'typed' })).toBe(200);
    await until(() => lines.length === 1 && spans.length === 2);

    const server = spans.find((s) => s.kind === 'SERVER')!;
    const attempt = spans.find((s) => s.kind === 'CLIENT')!;
    expect(server.tags).toMatchObject({
      'http.method': 'GET',
      'http.path': '/web?q=1',
      'http.status_code': '200',
      'l5d.service': '/svc/web',
      [REQUEST_ID_SPAN_TAG]: 'a1b2c3d4e5f60718',
    });
    expect(attempt).toMatchObject({ traceId: server.traceId, parentId: server.id });
    // Upstream carries the attempt's context, not the request span's.
    expect(String(seen.upstream?.traceparent)).toBe(`00-${server.traceId}-${attempt.id}-01`);
    // A sampled request goes on as a new value with the span's headers; the one received is unchanged.
    expect(seen.inbound).not.toBe(seen.created?.[0]);
    expect(seen.created?.[0]?.head.headers.traceparent).toBeUndefined();

    expect(JSON.parse(lines[0]!)).toMatchObject({
      method: 'GET',
      uri: '/web?q=1',
      status: 200,
      responseBytes: 5,
      userAgent: 'typed',
      router: 'http',
      service: '/svc/web',
      client: '/$/inet/10.0.0.7/8080',
      traceId: server.traceId,
      requestId: 'a1b2c3d4e5f60718',
    });
    expect(recent.list()).toEqual([
      expect.objectContaining({
        service: '/svc/web',
        client: '/$/inet/10.0.0.7/8080',
        endpoint: '10.0.0.7:8080',
        traceId: server.traceId,
        requestId: 'a1b2c3d4e5f60718',
      }),
    ]);
  });

  it('leaves an unsampled request untouched: same value, the caller context forwarded as sent, no span', async () => {
    const spans: ZipkinSpan[] = [];
    const tracer = createTracer({ sampleRate: 1, exporter: { export: (s) => spans.push(s) } });
    const lines: string[] = [];
    // Neither the table (rate 0) nor, below, the tracer (the caller said "not sampled") wants it.
    const { port, seen } = await start(tracer, lines, createRecentRequests({ sampleRate: 0 }));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    expect(await get(port, { traceparent })).toBe(200);
    await until(() => lines.length === 1);
    expect(seen.inbound).toBe(seen.created?.[0]);
    expect(seen.upstream?.traceparent).toBe(traceparent);
    expect(seen.upstream?.['x-b3-traceid']).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(spans).toEqual([]);
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('traceId');
  });
});
