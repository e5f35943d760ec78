/**
 * HTTP/2 clients through the router's own servers: h2c with prior knowledge on a plain port next
 * to HTTP/1.1 (`@switchyard/tls`'s `PlainHttpServer`), and h2 over TLS by ALPN
 * (`FrontDoorHttpServer`), to HTTP/1.1 backends. `:authority` reaches identifiers as `Host`,
 * trailers, streaming and resets cross the protocol boundary, router errors answer on the stream.
 */
import { execFile } from 'node:child_process';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { promisify } from 'node:util';
import { createMetricsRegistry } from '@switchyard/core';
import { createTestPki, type TestPki } from '@switchyard/testkit';
import {
  createFrontDoorHttpServer,
  createPlainHttpServer,
  staticCertificateSource,
  TlsTerminator,
} from '@switchyard/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateServer } from '../src/index.js';
import { fixtures, headerIdentifier } from './helpers.js';

const run = promisify(execFile);
const { cleanup, backend, router } = fixtures(500);

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
}, 60_000);
afterAll(async () => {
  await pki?.dispose();
});

const h2c: CreateServer = (options) => createPlainHttpServer({ ...options, h2: {} });

async function tlsServer(): Promise<CreateServer> {
  const leaf = await pki.leaf('router', { cn: 'router.test', dns: ['router.test'] });
  const terminator = new TlsTerminator({
    certificates: [staticCertificateSource([{ id: 'router', certPem: leaf.certPem, keyPem: leaf.keyPem }])],
  });
  await terminator.ready();
  cleanup.push(async () => terminator.close());
  return (options) => createFrontDoorHttpServer(terminator, { ...options, h2: {} });
}

function connect(url: string): ClientHttp2Session {
  const session = url.startsWith('https:')
    ? http2.connect(url, { ca: pki.ca.certPem, servername: 'router.test' })
    : http2.connect(url);
  session.on('error', () => {});
  cleanup.push(async () => session.destroy());
  return session;
}

interface H2Reply {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: IncomingHttpHeaders | undefined;
}

function request(
  session: ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer | string,
  trailers?: http2.OutgoingHttpHeaders,
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, trailers ? { waitForTrailers: true } : {});
    if (trailers) stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    let responseHeaders: IncomingHttpHeaders = {};
    let got: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('trailers', (t) => (got = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers: responseHeaders, body: Buffer.concat(chunks), trailers: got }));
    stream.on('error', reject);
    stream.end(body);
  });
}

function counter(stats: ReturnType<typeof createMetricsRegistry>, suffix: string): number {
  const m = stats.snapshot().find((s) => s.kind === 'counter' && s.name.join('/').endsWith(suffix));
  return m?.kind === 'counter' ? m.value : 0;
}

describe('HTTP/2 downstream', () => {
  it.each(['h2c', 'h2'] as const)(
    '%s GET: :authority is the Host identifiers read; the HTTP/1.1 backend sees Host',
    async (kind) => {
      const b = await backend((req, res) => {
        res.setHeader('x-seen-host', String(req.headers.host));
        res.setHeader('x-seen-version', req.httpVersion);
        res.end(`hello ${req.method} ${req.url}`);
      });
      const createServer = kind === 'h2c' ? h2c : await tlsServer();
      const stats = createMetricsRegistry();
      const { port } = await router(`/svc/web.test => /$/inet/127.0.0.1/${b.port}`, {
        identifier: headerIdentifier('host'),
        servers: [{ port: 0, createServer }],
        stats,
      });
      const session = connect(`${kind === 'h2' ? 'https' : 'http'}://127.0.0.1:${port}`);
      const reply = await request(session, { ':path': '/a?b=1', ':authority': 'web.test' });
      expect(reply.headers[':status']).toBe(200);
      expect(reply.body.toString()).toBe('hello GET /a?b=1');
      expect(reply.headers['x-seen-host']).toBe('web.test');
      expect(reply.headers['x-seen-version']).toBe('1.1');
      expect(reply.headers.via).toContain('switchyard');
      const scope = `server/127.0.0.1/${port}`;
      expect(counter(stats, `${scope}/protocol/h2/requests`)).toBe(1);
      expect(counter(stats, `${scope}/protocol/http1/requests`)).toBe(0);
      expect(counter(stats, `${scope}/success`)).toBe(1);
    },
  );

  it('h2c and HTTP/1.1 share one plain port (curl --http2-prior-knowledge and curl --http1.1)', async () => {
    const b = await backend((req, res) => res.end(`v${req.httpVersion} ${req.headers.host}`));
    const { port } = await router(`/svc/web.test => /$/inet/127.0.0.1/${b.port}`, {
      identifier: headerIdentifier('host'),
      servers: [{ port: 0, createServer: h2c }],
    });
    const url = `http://127.0.0.1:${port}/`;
    const h2 = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-H',
      'host: web.test',
      '-w',
      ' %{http_version}',
      url,
    ]);
    expect(h2.stdout).toBe('v1.1 web.test 2');
    const h1 = await run('curl', ['-sS', '--http1.1', '-H', 'host: web.test', '-w', ' %{http_version}', url]);
    expect(h1.stdout).toBe('v1.1 web.test 1.1');
  });

  it('curl --http2 over TLS negotiates h2 by ALPN', async () => {
    const b = await backend((_req, res) => res.end('tls ok'));
    const { port } = await router(`/svc => /$/inet/127.0.0.1/${b.port}`, {
      identifier: headerIdentifier('host'),
      servers: [{ port: 0, createServer: await tlsServer() }],
    });
    const ca = pki.ca.certPath;
    const out = await run('curl', [
      '-sS',
      '--http2',
      '--cacert',
      ca,
      '--resolve',
      `router.test:${port}:127.0.0.1`,
      '-w',
      ' %{http_version}',
      `https://router.test:${port}/`,
    ]);
    expect(out.stdout).toBe('tls ok 2');
  });

  it('router errors answer on the stream; a malformed request names its field', async () => {
    const { port } = await router('/svc => /$/inet/127.0.0.1/1', {
      identifier: headerIdentifier('host'),
      servers: [{ port: 0, createServer: h2c }],
    });
    const session = connect(`http://127.0.0.1:${port}`);
    const noRoute = await request(session, { ':path': '/', ':authority': 'nowhere.test' });
    expect(noRoute.headers[':status']).toBe(502);
    expect(noRoute.body.toString()).toMatch(/connection|Unable/);
    const other = await request(session, { ':path': '/', ':authority': 'a.test', host: 'b.test' });
    expect(other.headers[':status']).toBe(400);
    expect(other.body.toString()).toContain('host');
  });

  it('h2 request body and trailers reach an HTTP/1.1 backend as chunked; its chunked trailers come back as HTTP/2 trailers', async () => {
    const b = await backend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { trailer: 'x-sum' });
        res.write(`got ${Buffer.concat(chunks).length} te=${req.headers['transfer-encoding']} `);
        res.write(`req-trailer=${req.trailers['x-client-trailer']}`);
        res.addTrailers({ 'x-sum': 'abc' });
        res.end();
      });
    });
    const { port } = await router(`/svc/web.test => /$/inet/127.0.0.1/${b.port}`, {
      identifier: headerIdentifier('host'),
      servers: [{ port: 0, createServer: h2c }],
    });
    const session = connect(`http://127.0.0.1:${port}`);
    const reply = await request(
      session,
      {
        ':path': '/up',
        ':method': 'POST',
        ':authority': 'web.test',
        te: 'trailers',
        trailer: 'x-client-trailer',
      },
      Buffer.alloc(200_000, 1),
      { 'x-client-trailer': 'yes' },
    );
    expect(reply.headers[':status']).toBe(200);
    expect(reply.body.toString()).toBe('got 200000 te=chunked req-trailer=yes');
    expect(reply.trailers?.['x-sum']).toBe('abc');
  });

  it('RST_STREAM from the h2 client aborts the backend request', async () => {
    let backendClosed!: () => void;
    const closed = new Promise<void>((r) => (backendClosed = r));
    const b = await backend((req, res) => {
      res.writeHead(200);
      res.write('start');
      req.socket.once('close', () => backendClosed());
    });
    const { port } = await router(`/svc/web.test => /$/inet/127.0.0.1/${b.port}`, {
      identifier: headerIdentifier('host'),
      servers: [{ port: 0, createServer: h2c }],
    });
    const session = connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ':path': '/', ':authority': 'web.test' });
    await new Promise<void>((r) => stream.once('data', () => r()));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await closed;
    // The session stays usable.
    const again = await request(session, { ':path': '/', ':authority': 'nobody', ':method': 'GET' });
    expect(again.headers[':status']).toBeGreaterThanOrEqual(400);
  });
});
