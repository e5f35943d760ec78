/**
 * The upstream HTTP/2 pool against real node:http2 servers (h2c and h2 over TLS) and a raw TCP
 * peer that never answers PINGs: multiplexing within limits, reconnects, GOAWAY, keep-alive,
 * cancellation and trailers.
 */
import { once } from 'node:events';
import {
  type ClientHttp2Stream,
  constants,
  createSecureServer,
  createServer,
  type Http2Server,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { createMetricsRegistry, type MetricsRegistry } from '@switchyard/core';
import { createTestPki } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectFailedError } from '../src/errors.js';
import { H2Pool, type H2PoolOptions } from '../src/h2/pool.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Backend {
  readonly port: number;
  readonly sessions: ServerHttp2Session[];
  readonly resets: number[];
  maxActive: number;
}

/** `/slow` answers after 200 ms, `/hang` never, `/trailers` with grpc trailers, others at once. */
async function backend(server: Http2Server = createServer()): Promise<Backend> {
  const b: Backend = { port: 0, sessions: [], resets: [], maxActive: 0 };
  let active = 0;
  server.on('session', (s) => b.sessions.push(s));
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    active++;
    b.maxActive = Math.max(b.maxActive, active);
    stream.on('close', () => {
      active--;
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) b.resets.push(stream.rstCode ?? -1);
    });
    stream.on('error', () => {});
    const path = headers[':path'];
    if (path === '/hang') return;
    if (path === '/trailers') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end('m');
      return;
    }
    const answer = () => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200 });
      stream.end(`ok ${path}`);
    };
    if (path === '/slow') setTimeout(answer, 200);
    else answer();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const s of b.sessions) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(b, { port: (server.address() as AddressInfo).port });
}

function pool(options: H2PoolOptions): H2Pool {
  const p = new H2Pool(options);
  cleanups.push(() => p.destroy());
  return p;
}

function read(
  stream: ClientHttp2Stream,
): Promise<{ status: number; body: string; trailers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let body = '';
    let trailers = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      body += d;
    });
    stream.on('end', () => resolve({ status, body, trailers }));
    stream.on('error', reject);
  });
}

const get = async (p: H2Pool, path: string) => read(await p.request({ ':path': path }));

function counter(stats: MetricsRegistry, name: string): number {
  for (const s of stats.snapshot()) if (s.kind === 'counter' && s.name.join('/') === name) return s.value;
  return 0;
}

describe('H2Pool', () => {
  it('multiplexes: 60 concurrent requests over at most maxSessions sessions, never more than maxStreamsPerSession each', async () => {
    const b = await backend();
    const p = pool({ authority: `http://127.0.0.1:${b.port}`, maxStreamsPerSession: 10, maxSessions: 3 });
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => get(p, i % 2 === 0 ? '/slow' : `/${i}`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(b.sessions.length).toBeLessThanOrEqual(3);
    expect(b.maxActive).toBeLessThanOrEqual(30);
    // A stream's 'close' (which frees its slot) follows its 'end'.
    await new Promise((r) => setImmediate(r));
    expect(p.activeStreams).toBe(0);
  });

  it("respects the peer's SETTINGS_MAX_CONCURRENT_STREAMS when lower", async () => {
    const b = await backend(createServer({ settings: { maxConcurrentStreams: 2 } }));
    const p = pool({ authority: `http://127.0.0.1:${b.port}`, maxSessions: 1 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(p, '/slow')));
    expect(answers.map((a) => a.body)).toEqual(Array(8).fill('ok /slow'));
    expect(b.maxActive).toBe(2);
  });

  it('reconnects after the peer drops the session', async () => {
    const b = await backend();
    const p = pool({ authority: `http://127.0.0.1:${b.port}` });
    expect((await get(p, '/a')).body).toBe('ok /a');
    b.sessions[0]!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await get(p, '/b')).body).toBe('ok /b');
    expect(b.sessions.length).toBe(2);
  });

  it('GOAWAY: in-flight streams finish, new requests go to a new session', async () => {
    const stats = createMetricsRegistry();
    const b = await backend();
    const p = pool({ authority: `http://127.0.0.1:${b.port}`, stats });
    const slow = get(p, '/slow');
    // The GOAWAY must cover /slow (its last-stream-id): close once the backend has the stream, as
    // a fixed 50 ms raced it under load and /slow was refused.
    await expect.poll(() => b.maxActive, { timeout: 5000 }).toBe(1);
    b.sessions[0]!.close(); // GOAWAY(NO_ERROR), graceful
    // "New requests" are those sent once the pool has seen the GOAWAY; one sent before it reaches
    // the pool is refused by the peer (REFUSED_STREAM), which a fixed sleep raced under load.
    await expect.poll(() => counter(stats, 'h2_pool/goaways'), { timeout: 5000 }).toBe(1);
    expect((await get(p, '/after')).body).toBe('ok /after');
    expect((await slow).body).toBe('ok /slow');
    expect(b.sessions.length).toBe(2);
    expect(counter(stats, 'h2_pool/goaways')).toBe(1);
  });

  it('cancelling a request resets the stream upstream with CANCEL', async () => {
    const b = await backend();
    const p = pool({ authority: `http://127.0.0.1:${b.port}` });
    const ac = new AbortController();
    const stream = await p.request({ ':path': '/hang' }, { signal: ac.signal });
    stream.on('error', () => {});
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await new Promise((r) => setTimeout(r, 100));
    expect(b.resets).toEqual([constants.NGHTTP2_CANCEL]);
    expect(p.activeStreams).toBe(0);
  });

  it('passes response trailers through (grpc-status)', async () => {
    const b = await backend();
    const p = pool({ authority: `http://127.0.0.1:${b.port}` });
    expect((await get(p, '/trailers')).trailers).toMatchObject({ 'grpc-status': '0' });
  });

  it('speaks h2 over TLS (ALPN)', async () => {
    const pki = await createTestPki();
    cleanups.push(() => pki.dispose());
    const leaf = await pki.leaf('up', { cn: 'up.test', dns: ['up.test'] });
    const b = await backend(createSecureServer({ key: leaf.keyPem, cert: leaf.certPem }));
    const p = pool({
      authority: `https://127.0.0.1:${b.port}`,
      tls: { ca: pki.ca.certPem, servername: 'up.test' },
    });
    expect((await get(p, '/tls')).body).toBe('ok /tls');
  }, 30_000);

  it('an unreachable endpoint is a ConnectFailedError; a peer that is not HTTP/2 too, within connectTimeoutMs', async () => {
    const stats = createMetricsRegistry();
    const dead = createNetServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await expect(
      pool({ authority: `http://127.0.0.1:${port}`, stats }).request({ ':path': '/' }),
    ).rejects.toBeInstanceOf(ConnectFailedError);
    const accepted: Socket[] = [];
    const silent = createNetServer((s) => {
      accepted.push(s);
      s.on('error', () => {});
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => {
      for (const s of accepted) s.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const p = pool({
      authority: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      connectTimeoutMs: 200,
      stats,
    });
    const err = await p.request({ ':path': '/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectFailedError);
    expect(String((err as Error).cause)).toMatch(/no HTTP\/2 SETTINGS within 200 ms/);
    expect(counter(stats, 'h2_pool/connect_failures')).toBe(2);
  });

  it('keep-alive PINGs: a peer that stops answering is dropped', async () => {
    const stats = createMetricsRegistry();
    // A raw peer: sends SETTINGS and acknowledges the client's, never answers PING.
    const sockets: Socket[] = [];
    const peer = createNetServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
      s.once('data', () => s.write(Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0])));
    });
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => peer.close(() => resolve()));
    });
    const p = pool({
      authority: `http://127.0.0.1:${(peer.address() as AddressInfo).port}`,
      pingIntervalMs: 100,
      pingTimeoutMs: 150,
      stats,
    });
    const stream = await p.request({ ':path': '/' });
    stream.on('error', () => {});
    await new Promise((r) => setTimeout(r, 600));
    expect(counter(stats, 'h2_pool/ping_timeouts')).toBeGreaterThanOrEqual(1);
    expect(p.sessionCount).toBe(0);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new H2Pool({ authority: 'ftp://x' })).toThrow(/expected http: \(h2c\) or https: \(h2\)/);
    expect(() => new H2Pool({ authority: 'http://x', maxSessions: 0 })).toThrow(/maxSessions/);
  });
});
