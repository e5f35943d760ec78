/**
 * Issue 19 leftovers: router-written gRPC answers (trailers-only) count in `server/…/failures`
 * only by status, like any completed response; an endpoint whose address meta carries
 * `appProtocol: kubernetes.io/h2c` is dialled with h2c unless the client's `protocol` says otherwise;
 * a server's `connections` counts HTTP/2 connections too.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Addr, address, createMetricsRegistry } from '@switchyard/core';
import { eventually, httpRequest } from '@switchyard/testkit';
import { createPlainHttpServer } from '@switchyard/tls';
import { describe, expect, it } from 'vitest';
import type { CreateServer } from '../src/index.js';
import { fixtures, testNamer } from './helpers.js';

const { backend: startBackend, cleanup, router } = fixtures(200);
const h2c: CreateServer = (options) => createPlainHttpServer({ ...options, h2: {} });

describe('server stats of router-written gRPC answers', () => {
  it('a trailers-only gRPC error (HTTP 200) is a completed response, not a server failure', async () => {
    const stats = createMetricsRegistry();
    const { port } = await router('/svc => /$/fail', { servers: [{ port: 0, createServer: h2c }], stats });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanup.push(async () => session.destroy());
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/test.Echo/Unary',
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-dst': 'web',
      });
      s.on('response', resolve);
      s.on('error', reject);
      s.resume();
      s.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    expect(headers['grpc-status']).toBe('12');
    // The stats layer settles after the response: wait for its counters.
    const server = (): Record<string, number> =>
      Object.fromEntries(
        stats
          .snapshot()
          .filter((m) => m.kind === 'counter' && m.name.join('/').startsWith('rt/http/server/'))
          .map((m) => [m.name.slice(5).join('/'), m.kind === 'counter' ? m.value : 0]),
      );
    await eventually(() => (server().success ?? 0) + (server().failures ?? 0) === 1, { timeoutMs: 10_000 });
    expect(server()).toMatchObject({ requests: 1, success: 1, failures: 0 });
  });
});

describe('appProtocol kubernetes.io/h2c', () => {
  it('dials an endpoint whose address meta says h2c with HTTP/2, without any client protocol', async () => {
    const versions: string[] = [];
    const backend = http2.createServer((req, res) => {
      versions.push(req.httpVersion);
      req.resume();
      res.end(`h2c ${req.url}`);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => backend.close(() => r())));
    const port = (backend.address() as AddressInfo).port;
    const namer = testNamer();
    namer
      .addr('grpc')
      .update(Addr.bound([address('127.0.0.1', port, { meta: { appProtocol: 'kubernetes.io/h2c' } })]));
    const r = await router('/svc => /#/test', { namers: [namer.entry] });
    const reply = await httpRequest(r.port, { path: '/hello', headers: { 'x-dst': 'grpc' } });
    expect([reply.status, reply.body]).toEqual([200, 'h2c /hello']);
    expect(versions).toEqual(['2.0']);
  });

  it("keeps the client's explicit protocol", async () => {
    const namer = testNamer();
    const backend = http2.createServer((_req, res) => res.end('h2'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => backend.close(() => r())));
    const port = (backend.address() as AddressInfo).port;
    namer
      .addr('grpc')
      .update(Addr.bound([address('127.0.0.1', port, { meta: { appProtocol: 'kubernetes.io/h2c' } })]));
    const r = await router('/svc => /#/test', {
      namers: [namer.entry],
      client: { protocol: 'http/1.1', connectTimeoutMs: 1000, headersTimeoutMs: 1000 },
    });
    const reply = await httpRequest(r.port, { headers: { 'x-dst': 'grpc' } });
    // HTTP/1.1 to an HTTP/2-only server cannot succeed.
    expect(reply.status).toBe(502);
  });
});

describe('server connections', () => {
  it('counts HTTP/2 connections (h2c prior knowledge on a plain door) with the HTTP/1.1 ones', async () => {
    const backend = await startBackend();
    const r = await router(`/svc/web => /$/inet/127.0.0.1/${backend.port}`, {
      servers: [{ port: 0, createServer: h2c }],
    });
    const connections = () => r.router.servers[0]!.connections;
    const session = http2.connect(`http://127.0.0.1:${r.port}`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const s = session.request({ ':path': '/', 'x-dst': 'web' });
      s.on('response', (h) => resolve(h[':status']));
      s.on('error', reject);
      s.resume();
      s.end();
    });
    expect(status).toBe(200);
    expect(connections()).toBe(1);
    session.close();
    await eventually(() => connections() === 0, { timeoutMs: 10_000 });
  });
});
