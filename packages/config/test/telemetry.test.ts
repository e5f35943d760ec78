/**
 * Telemetry from a config, over real sockets: Zipkin spans delivered to a collector with the
 * caller's W3C trace continued and propagated to the backend; sampled requests in the admin's
 * recent-requests feed; Linkerd-format access log lines in a file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeOtlpProtobuf } from '@switchyard/telemetry/otlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen } from './http.js';
import { startZipkinCollector, type ZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();

describe('telemetry from config', () => {
  let dir: string;
  let backendPort: number;
  let backend: Server;
  let collector: ZipkinCollector<(typeof spans)[number]>;
  const seenByBackend: IncomingHttpHeaders[] = [];
  const spans: {
    traceId: string;
    id: string;
    parentId?: string;
    kind: string;
    tags?: Record<string, string>;
  }[] = [];
  let linker: Linker;
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-telemetry-'));
    backend = createServer((req, res) => {
      seenByBackend.push(req.headers);
      req.resume();
      res.end('ok');
    });
    collector = await startZipkinCollector(spans);
    backendPort = await listen(backend);
    const zipkinPort = collector.port;
    const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
  httpAccessLog: access.log
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 1.0
- kind: io.l5d.recentRequests
  sampleRate: 1.0
  capacity: 5
`;
    linker = await Linker.start(parseLinkerConfig(text, 'telemetry.yaml', kinds), {
      kinds,
      baseDir: dir,
      admin: { port: 0 },
    });
  });

  afterAll(async () => {
    backend.close();
    collector.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('traces, samples and logs requests', async () => {
    const port = linker.routers[0]!.servers[0]!.port;
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    const reply = await get(port, {
      path: '/hello?x=1',
      headers: { host: 'web', traceparent, 'user-agent': 'sy-test' },
    });
    expect([reply.status, reply.body]).toEqual([200, 'ok']);

    // The backend sees the same trace, with the router's span as parent.
    const forwarded = String(seenByBackend[0]!.traceparent);
    expect(forwarded).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(forwarded).not.toBe(traceparent);
    // io.l5d.zipkin keeps Linkerd's propagation by default: B3 and l5d-ctx-trace as well.
    expect(seenByBackend[0]!['x-b3-traceid']).toBe(traceId);
    expect(seenByBackend[0]!['l5d-ctx-trace']).toEqual(expect.any(String));

    const admin = linker.admin!.address!;
    const recent = JSON.parse((await get(admin.port, { path: '/admin/requests.json' })).body) as unknown[];
    expect(recent).toEqual([
      expect.objectContaining({
        method: 'GET',
        uri: '/hello?x=1',
        status: 200,
        service: '/svc/web',
        // The dashboard's client and endpoint columns (empty before the router reported them).
        client: `/$/inet/127.0.0.1/${backendPort}`,
        endpoint: `127.0.0.1:${backendPort}`,
      }),
    ]);

    // The admin prints the router's stacks, the telemetry layers included where they run.
    const stacks = JSON.parse((await get(admin.port, { path: '/admin/stacks.json' })).body) as {
      stacks: Record<string, { role: string }[]>;
    }[];
    const roles = (stack: string) => stacks[0]!.stacks[stack]!.map((l) => l.role);
    expect(roles('server').slice(0, 3)).toEqual(['tracing', 'requestLog', 'server-stats']);
    expect(roles('server')).toContain('identify');
    // With tracing on, overridden requests get tagged in the path stack (see override-tracing.test.ts).
    expect(roles('path')).toEqual(['bind', 'dtab-override-tracing', 'route-timeout', 'retries']);
    expect(roles('client')).toEqual(['mirror', 'attemptTracing']);

    await linker.close(); // flushes the Zipkin batch and the access log
    // One SERVER span continuing the caller's trace, one CLIENT span per attempt under it; the
    // backend's parent is the attempt span.
    const server = spans.find((span) => span.kind === 'SERVER')!;
    const attempt = spans.find((span) => span.kind === 'CLIENT')!;
    expect(spans).toHaveLength(2);
    expect(server).toMatchObject({
      traceId,
      parentId: '00f067aa0ba902b7',
      tags: expect.objectContaining({ 'http.status_code': '200', 'l5d.service': '/svc/web' }),
    });
    expect(attempt).toMatchObject({
      traceId,
      parentId: server.id,
      tags: { 'http.status_code': '200' },
    });
    expect(forwarded.split('-')[2]).toBe(attempt.id);
    const log = await readFile(join(dir, 'access.log'), 'utf8');
    expect(log).toMatch(
      /^web 127\.0\.0\.1 - - \[[^\]]+\] "GET \/hello\?x=1 HTTP\/1\.1" 200 2 "-" "sy-test"\n$/,
    );
  });
});

describe('access log formats from config', () => {
  it('writes linkerd, json and clf lines with the body bytes actually sent, one router each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-access-log-'));
    // A known body both ways: with a content-length, and chunked (no length in any header).
    const chunked = `${'a'.repeat(1000)}${'é'.repeat(117)}`; // 1234 bytes in UTF-8
    const backend = createServer((req, res) => {
      req.resume();
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.write('a'.repeat(1000));
        res.end('é'.repeat(117));
      } else res.writeHead(201, { 'content-length': '2' }).end('ok');
    });
    const backendPort = await listen(backend);
    const router = (label: string, format: string) => `
- protocol: http
  label: ${label}
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
  httpAccessLog: ${label}.log
  httpAccessLogFormat: ${format}`;
    const text = `routers:${router('l', 'linkerd')}${router('j', 'json')}${router('c', 'clf')}\n`;
    const linker = await Linker.start(parseLinkerConfig(text, 'formats.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    let noRouteBody = '';
    try {
      for (const r of linker.routers) {
        const port = r.servers[0]!.port;
        const headers = { host: 'web', 'user-agent': 'sy-test' };
        expect((await get(port, { path: '/p?q=1', headers })).status).toBe(201);
        const big = await get(port, { path: '/chunked', headers });
        expect([big.status, Buffer.byteLength(big.body)]).toEqual([200, 1234]);
        expect(big.body).toBe(chunked);
        // A response the router writes itself (no route for this host).
        const local = await get(port, { path: '/', headers: { host: 'nowhere', 'user-agent': 'sy-test' } });
        expect(local.status).toBeGreaterThanOrEqual(400);
        expect(local.body.length).toBeGreaterThan(0);
        noRouteBody = local.body;
      }
    } finally {
      await linker.close();
      backend.close();
    }
    const lines = async (file: string) => {
      const all = (await readFile(join(dir, file), 'utf8')).split('\n');
      expect(all).toHaveLength(4);
      expect(all[3]).toBe('');
      return all.slice(0, 3);
    };
    const localBytes = Buffer.byteLength(noRouteBody);

    const json = (await lines('j.log')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json[0]).toMatchObject({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      host: 'web',
      remoteAddress: '127.0.0.1',
      method: 'GET',
      uri: '/p?q=1',
      httpVersion: '1.1',
      status: 201,
      responseBytes: 2,
      userAgent: 'sy-test',
      durationMs: expect.any(Number),
      router: 'j',
      service: '/svc/web',
      client: `/$/inet/127.0.0.1/${backendPort}`,
    });
    expect(json.map((e) => [e.uri, e.responseBytes])).toEqual([
      ['/p?q=1', 2],
      ['/chunked', 1234],
      ['/', localBytes],
    ]);

    const time = String.raw`\[\d\d\/\d\d\/\d{4}:\d\d:\d\d:\d\d \+0000\]`;
    const linkerd = await lines('l.log');
    expect(linkerd[0]).toMatch(
      new RegExp(`^web 127\\.0\\.0\\.1 - - ${time} "GET /p\\?q=1 HTTP/1\\.1" 201 2 "-" "sy-test"$`),
    );
    expect(linkerd[1]).toMatch(/"GET \/chunked HTTP\/1\.1" 200 1234 "-" "sy-test"$/);
    expect(linkerd[2]).toMatch(
      new RegExp(`^nowhere .* "GET / HTTP/1\\.1" \\d{3} ${localBytes} "-" "sy-test"$`),
    );

    const clf = await lines('c.log');
    expect(clf[0]).toMatch(
      /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/p\?q=1 HTTP\/1\.1" 201 2$/,
    );
    expect(clf[1]).toMatch(/"GET \/chunked HTTP\/1\.1" 200 1234$/);
    expect(clf[2]).toMatch(new RegExp(`"GET / HTTP/1\\.1" \\d{3} ${localBytes}$`));
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an unknown format at the field, with did-you-mean', () => {
    expect(() =>
      parseLinkerConfig(
        'routers:\n- protocol: http\n  servers: [{port: 0}]\n  httpAccessLogFormat: jsonl\n',
        'bad.yaml',
        kinds,
      ),
    ).toThrow(
      'bad.yaml:4:24: routers[0].httpAccessLogFormat: expected one of "linkerd", "json", "clf", got "jsonl" (did you mean "json"?)',
    );
  });
});

describe('io.l5d.otlp from config', () => {
  it.each([
    ['protobuf (the default)', undefined, 'application/x-protobuf'],
    ['json', 'json', 'application/json'],
  ] as const)(
    'sends a SERVER span and one CLIENT span per attempt, continuing the caller trace: %s',
    async (_, encoding, contentType) => {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      let attempts = 0;
      const seen: IncomingHttpHeaders[] = [];
      const backend = createServer((req, res) => {
        seen.push(req.headers);
        req.resume();
        attempts++;
        res.writeHead(attempts === 1 ? 503 : 200).end(`attempt ${attempts}`);
      });
      const requests: {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: {
            spans: {
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              kind: number;
              attributes: { key: string; value: { stringValue?: string; intValue?: string } }[];
              status: { code: number; message?: string };
            }[];
          }[];
        }[];
      }[] = [];
      const contentTypes: (string | undefined)[] = [];
      // The collector stand-in decodes the body by its content-type, as a collector does.
      const otlp = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          contentTypes.push(req.headers['content-type']);
          if (req.url === '/v1/traces')
            requests.push(
              (req.headers['content-type'] === 'application/x-protobuf'
                ? decodeOtlpProtobuf(body)
                : JSON.parse(body.toString('utf8'))) as (typeof requests)[number],
            );
          res.writeHead(200, { 'content-type': req.headers['content-type'] ?? '' }).end();
        });
      });
      const backendPort = await listen(backend);
      const otlpPort = await listen(otlp);
      const text = `
routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
  service:
    responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    retries:
      budget: {minRetriesPerSec: 5, percentCanRetry: 0.5}
      backoff: {kind: constant, ms: 10}
telemetry:
- kind: io.l5d.otlp
  endpoint: http://127.0.0.1:${otlpPort}/v1/traces${encoding ? `\n  encoding: ${encoding}` : ''}
  headers: {authorization: Bearer t0ken}
  serviceName: edge
  resourceAttributes: {deployment.environment: test}
  sampleRate: 1.0
`;
      const linker = await Linker.start(parseLinkerConfig(text, 'otlp.yaml', kinds), {
        kinds,
        baseDir: process.cwd(),
        noAdmin: true,
      });
      try {
        const reply = await get(linker.routers[0]!.servers[0]!.port, {
          headers: { host: 'web', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
        });
        expect([reply.status, reply.body]).toEqual([200, 'attempt 2']);
      } finally {
        await linker.close(); // flushes the batch
        backend.close();
        otlp.close();
      }
      expect(contentTypes.length).toBeGreaterThan(0);
      for (const type of contentTypes) expect(type).toBe(contentType);
      const spans = requests.flatMap((r) =>
        r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
      );
      const server = spans.filter((s) => s.kind === 2);
      const clients = spans.filter((s) => s.kind === 3);
      expect(server).toHaveLength(1);
      expect(clients).toHaveLength(2);
      expect(server[0]).toMatchObject({ traceId, parentSpanId: 'b7ad6b7169203331' });
      for (const client of clients)
        expect(client).toMatchObject({ traceId, parentSpanId: server[0]!.spanId });
      const status = (s: (typeof spans)[number]) =>
        s.attributes.find((a) => a.key === 'http.response.status_code')?.value.intValue;
      // The first attempt's 503 was retried, never answered: an ERROR span naming why.
      expect(clients.map((c) => [status(c), c.status])).toEqual([
        [undefined, { code: 2, message: 'retryable response status 503' }],
        ['200', { code: 0 }],
      ]);
      expect(status(server[0]!)).toBe('200');
      // io.l5d.otlp propagates W3C only by default: no B3 or l5d-ctx-trace upstream.
      for (const h of seen) {
        expect(h.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
        expect([h['x-b3-traceid'], h['l5d-ctx-trace'], h.b3]).toEqual([undefined, undefined, undefined]);
      }
      // Each attempt carried its own span as the backend's parent.
      expect(seen.map((h) => String(h.traceparent).split('-')[2]).sort()).toEqual(
        clients.map((c) => c.spanId).sort(),
      );
      expect(requests[0]!.resourceSpans[0]!.resource.attributes).toEqual(
        expect.arrayContaining([
          { key: 'service.name', value: { stringValue: 'edge' } },
          { key: 'deployment.environment', value: { stringValue: 'test' } },
        ]),
      );
    },
  );

  it('rejects a bad endpoint or header at the field', () => {
    const bad = `telemetry:
- kind: io.l5d.otlp
  endpoint: collector:4318
  headers: {"bad header": x}
`;
    let message = '';
    try {
      parseLinkerConfig(bad, 'otlp.yaml', kinds);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'otlp.yaml:3:13: telemetry[0].endpoint: "collector:4318" is not an http or https URL',
    );
    expect(message).toContain('telemetry[0].headers.bad header: "bad header" is not an HTTP header name');
  });
});
