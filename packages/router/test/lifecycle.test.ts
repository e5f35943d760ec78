import http from 'node:http';
import net from 'node:net';
import { Addr, address } from '@switchyard/core';
import { eventually, httpRequest, rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, testNamer } from './helpers.js';

const { cleanup, backend, router } = fixtures(500);

/** A backend that holds each request until released. */
async function holdingBackend() {
  const held: http.ServerResponse[] = [];
  let holding = true;
  const b = await backend((req, res) => {
    req.resume();
    if (holding) held.push(res);
    else res.end('direct');
  });
  return {
    b,
    held,
    /** Answers the held requests and every later one at once. */
    release: () => {
      holding = false;
      for (const res of held.splice(0)) res.end('released');
    },
  };
}

describe('limits', () => {
  it('rejects request heads larger than maxHeadersKB with 431', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, maxHeadersKB: 1 }],
    });
    const big = await rawExchange(port, `GET / HTTP/1.1\r\nx-dst: web\r\nx-pad: ${'a'.repeat(2048)}\r\n\r\n`);
    expect(big.startsWith('HTTP/1.1 431')).toBe(true);
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
  });

  it('answers 503 at once beyond maxConcurrentRequests', async () => {
    const { b, held, release } = await holdingBackend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, maxConcurrentRequests: 2 }],
    });
    const first = httpRequest(port, { headers: { 'x-dst': 'web' } });
    const second = httpRequest(port, { headers: { 'x-dst': 'web' } });
    await eventually(() => held.length === 2, { timeoutMs: 10_000 });
    const third = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(third.status).toBe(503);
    expect(third.body).toBe('Too many concurrent requests (maxConcurrentRequests 2)\n');
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
  });

  it('closes connections that send their head too slowly (slowloris)', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, headersTimeoutMs: 200, requestTimeoutMs: 200 }],
    });
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nx-dst: web\r\n'));
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
      });
      s.on('close', () => resolve(data));
      s.on('error', reject);
    });
    expect(out.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('cuts a slowloris head at headersTimeoutMs, however slowly it keeps dripping', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, headersTimeoutMs: 600 }],
    });
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nx-dst: web\r\n'));
      // One header byte every 100 ms: never idle, never complete.
      const drip = setInterval(() => s.write('x'), 100);
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
      });
      s.on('close', () => {
        clearInterval(drip);
        resolve(data);
      });
      s.on('error', reject);
    });
    const elapsed = Date.now() - started;
    expect(out.startsWith('HTTP/1.1 408')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    // It was this server's 600 ms that cut it (Node sweeps every headersTimeoutMs / 4), not the
    // 10 s default: a bound between the two with room for a loaded machine, not a speed figure.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('bounds request heads by 10 s by default (Node would hold a slowloris 60 s and more)', async () => {
    const b = await backend();
    const seen: http.ServerOptions[] = [];
    await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [
        {
          port: 0,
          createServer: (options) => {
            seen.push(options);
            return http.createServer(options);
          },
        },
      ],
    });
    expect(seen[0]).toMatchObject({
      headersTimeout: 10_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 5000,
    });
    expect(seen[0]!.connectionsCheckingInterval).toBe(2500);
  });

  it('starts with a small requestTimeoutMs and rejects a head timeout longer than the request one', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, requestTimeoutMs: 2000 }],
    });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
    await expect(
      router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
        servers: [{ port: 0, requestTimeoutMs: 2000, headersTimeoutMs: 5000 }],
      }),
    ).rejects.toThrow('servers[0].headersTimeoutMs (5000) must be <= servers[0].requestTimeoutMs (2000)');
  });
});

describe('lifecycle', () => {
  it('drains in-flight requests on close and refuses new connections', async () => {
    const { b, held, release } = await holdingBackend();
    const r = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const inflight = httpRequest(r.port, { headers: { 'x-dst': 'web' } });
    await eventually(() => held.length === 1, { timeoutMs: 10_000 });
    let closed = false;
    const closing = r.router.close({ graceMs: 10_000 }).then(() => {
      closed = true;
    });
    expect(r.router.ready).toBe(false);
    await expect(httpRequest(r.port, { headers: { 'x-dst': 'web' } })).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);
    release();
    const reply = await inflight;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('released');
    expect(reply.headers.connection).toBe('close');
    await closing;
    expect(closed).toBe(true);
  });

  it('marks responses written during the drain Connection: close, on keep-alive connections too', async () => {
    const { b, held, release } = await holdingBackend();
    const r = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.push(async () => agent.destroy());
    const reply = new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: r.port, headers: { 'x-dst': 'web' }, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers));
        })
        .on('error', reject);
    });
    await eventually(() => held.length === 1, { timeoutMs: 10_000 });
    const closing = r.router.close({ graceMs: 10_000 });
    release();
    expect((await reply).connection).toBe('close');
    await closing;
  });

  it('retries idempotent requests on another endpoint when one is killed under keep-alive load', async () => {
    const handler: Parameters<typeof backend>[0] = (req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), 1));
    };
    const backends = [await backend(handler), await backend(handler), await backend(handler)];
    // One client over three endpoints, so failure accrual and requeues can move off the dead one.
    const namer = testNamer();
    const { port } = await router('/svc => /#/test', { namers: [namer.entry] });
    namer.addr('web').update(Addr.bound(backends.map((x) => address('127.0.0.1', x.port))));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    cleanup.push(async () => agent.destroy());
    const one = (method: string) =>
      new Promise<number>((resolve) => {
        http
          .request(
            { host: '127.0.0.1', port, method, path: '/', headers: { 'x-dst': 'web' }, agent },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode!));
            },
          )
          .on('error', () => resolve(0))
          .end();
      });
    const victim = backends[0]!;
    let done = 0;
    let killed = false;
    const statuses: number[] = [];
    const workers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        statuses.push(await one(w % 2 === 0 ? 'GET' : 'DELETE'));
        if (++done === 100 && !killed) {
          killed = true;
          // Abrupt death: no new connections, and every open one (pooled or mid-request) reset.
          victim.server.close();
          for (const s of victim.sockets) s.resetAndDestroy();
        }
      }
    });
    await Promise.all(workers);
    expect(killed).toBe(true);
    expect(statuses).toHaveLength(400);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 30_000);

  it('cuts what is left after graceMs', async () => {
    const { b, held } = await holdingBackend();
    const r = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const inflight = httpRequest(r.port, { headers: { 'x-dst': 'web' } }).catch((e: Error) => e);
    await eventually(() => held.length === 1, { timeoutMs: 10_000 });
    await r.router.close({ graceMs: 100 });
    expect(await inflight).toBeInstanceOf(Error);
  });

  it('loses no request when an endpoint is removed gracefully under load', async () => {
    const namer = testNamer();
    const hits = new Map<number, number>();
    const handler: Parameters<typeof backend>[0] = (req, res, self) => {
      req.resume();
      hits.set(self.port, (hits.get(self.port) ?? 0) + 1);
      setTimeout(() => res.end('ok'), 2);
    };
    const a = await backend(handler);
    const c = await backend(handler);
    const { port } = await router('/svc => /#/test', { namers: [namer.entry] });
    namer.addr('web').update(Addr.bound([address('127.0.0.1', a.port), address('127.0.0.1', c.port)]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    cleanup.push(async () => agent.destroy());
    const one = () =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', headers: { 'x-dst': 'web' }, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          })
          .on('error', reject);
      });
    const statuses: number[] = [];
    let removed = false;
    let hitsOnAAtRemoval = 0;
    const workers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 40; i++) {
        statuses.push(await one());
        if (!removed && statuses.length >= 100) {
          removed = true;
          // Discovery drops `a`; `a` keeps serving what it already has, then goes away.
          namer.addr('web').update(Addr.bound([address('127.0.0.1', c.port)]));
          hitsOnAAtRemoval = hits.get(a.port) ?? 0;
        }
      }
    });
    await Promise.all(workers);
    expect(statuses).toHaveLength(320);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // In-flight requests on `a` at removal may finish, but no new ones are sent to it.
    expect((hits.get(a.port) ?? 0) - hitsOnAAtRemoval).toBeLessThanOrEqual(8);
    expect(hits.get(c.port)).toBeGreaterThan(100);
  });
});

describe('upgrade', () => {
  async function wsBackend() {
    const b = await backend((_req, res) => {
      res.statusCode = 426;
      res.end('upgrade required');
    });
    b.server.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
      if (req.url === '/reject') {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno');
        return;
      }
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nx-via: ${req.headers.via}\r\n\r\n`,
      );
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    return b;
  }

  function upgrade(port: number, path: string, dst: string) {
    const s = net.connect(port, '127.0.0.1');
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: h\r\nx-dst: ${dst}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    let data = '';
    const waiters: (() => void)[] = [];
    s.on('data', (d) => {
      data += d.toString();
      for (const w of waiters.splice(0)) w();
    });
    const until = async (pred: (d: string) => boolean) => {
      while (!pred(data)) await new Promise<void>((r) => waiters.push(r));
      return data;
    };
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    return { s, until, closed };
  }

  it('proxies a WebSocket upgrade and pipes bytes both ways', async () => {
    const b = await wsBackend();
    const { port } = await router(`/svc/ws => /$/inet/127.0.0.1/${b.port}`);
    const c = upgrade(port, '/chat', 'ws');
    const head = await c.until((d) => d.includes('\r\n\r\n'));
    expect(head.startsWith('HTTP/1.1 101')).toBe(true);
    expect(head.toLowerCase()).toContain('upgrade: websocket');
    expect(head.toLowerCase()).toContain('connection: upgrade');
    expect(head).toContain('x-via: 1.1 switchyard');
    c.s.write('ping-1');
    await c.until((d) => d.endsWith('ping-1'));
    c.s.write('ping-2');
    await c.until((d) => d.endsWith('ping-2'));
    c.s.end();
    await c.closed;
  });

  it('relays a refused upgrade and answers errors on the raw socket', async () => {
    const b = await wsBackend();
    const { port } = await router(`/svc/ws => /$/inet/127.0.0.1/${b.port}`);
    const refused = upgrade(port, '/reject', 'ws');
    await refused.closed;
    expect(await refused.until(() => true)).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    const unknown = upgrade(port, '/chat', 'nowhere');
    await unknown.closed;
    const text = await unknown.until(() => true);
    expect(text).toMatch(/^HTTP\/1\.1 502/);
    expect(text).toContain('Unable to route request!');
  });
});
