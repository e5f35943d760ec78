/**
 * Request telemetry on HTTP/2 through the typed layers, over real sockets: a `protocol: h2`
 * router (h2c in, h2c out) with Zipkin tracing and a JSON access log; three requests on one
 * node:http2 session give three SERVER spans, three CLIENT spans and three access-log lines, and
 * the backend sees each attempt's span as its parent.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { startZipkinCollector } from './zipkin.js';

const kinds = createDefaultKinds();
const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

interface Span {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly kind: string;
  readonly tags: Record<string, string>;
}

describe('telemetry on HTTP/2', () => {
  it('a SERVER span, a CLIENT span and an access-log line per h2 request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-telemetry-h2-'));
    running.push(() => rm(dir, { recursive: true, force: true }));
    const parents: string[] = [];
    const backend = http2.createServer();
    backend.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      parents.push(String(headers.traceparent));
      stream.resume();
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end('hi h2');
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    running.push(() => new Promise<void>((r) => backend.close(() => r())));
    const spans: Span[] = [];
    const collector = await startZipkinCollector(spans);
    const zipkinPort = collector.port;
    running.push(() => collector.close());
    const yaml = `routers:
- protocol: h2
  label: h2
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc/hello => /$/inet/127.0.0.1/${(backend.address() as AddressInfo).port}
  servers: [{port: 0}]
  httpAccessLog: access.log
  httpAccessLogFormat: json
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkinPort}
  sampleRate: 1.0
`;
    const linker = await Linker.start(parseLinkerConfig(yaml, 'h2.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
    let closed = false;
    running.push(async () => {
      if (!closed) await linker.close();
    });
    const session = http2.connect(`http://127.0.0.1:${linker.routers[0]!.servers[0]!.port}`);
    session.on('error', () => {});
    running.push(async () => session.destroy());
    const one = (i: number) =>
      new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': `/hello/${i}`, 'user-agent': 'h2-test' });
        let body = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => {
          body += c;
        });
        s.on('end', () => resolve(body));
        s.on('error', reject);
        s.end();
      });
    expect(await Promise.all([one(1), one(2), one(3)])).toEqual(['hi h2', 'hi h2', 'hi h2']);
    session.close();
    await linker.close(); // flushes the Zipkin batch and the access log
    closed = true;

    const servers = spans.filter((s) => s.kind === 'SERVER');
    const clients = spans.filter((s) => s.kind === 'CLIENT');
    expect(servers).toHaveLength(3);
    expect(clients).toHaveLength(3);
    for (const server of servers) {
      expect(server.tags).toMatchObject({
        'http.method': 'GET',
        'http.status_code': '200',
        'l5d.service': '/svc/hello',
      });
      const attempt = clients.find((c) => c.parentId === server.id)!;
      expect(attempt.traceId).toBe(server.traceId);
      expect(parents).toContain(`00-${server.traceId}-${attempt.id}-01`);
    }
    const lines = (await readFile(join(dir, 'access.log'), 'utf8')).trim().split('\n');
    expect(
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .sort((a, b) => String(a.uri).localeCompare(String(b.uri))),
    ).toEqual(
      [1, 2, 3].map((i) =>
        expect.objectContaining({
          method: 'GET',
          uri: `/hello/${i}`,
          httpVersion: '2.0',
          status: 200,
          responseBytes: 5,
          userAgent: 'h2-test',
          router: 'h2',
          service: '/svc/hello',
          traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
        }),
      ),
    );
  });
});
