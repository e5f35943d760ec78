import http from 'node:http';
import net from 'node:net';
import { createMetricsRegistry } from '@switchyard/core';
import { freePort, httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { type ServerLayer, withHead, withHeaders } from '../src/index.js';
import { fixtures, headerIdentifier } from './helpers.js';

const { backend, router } = fixtures(1000);

/** Decodes a chunked body (no extensions, no trailers). */
function dechunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (size === 0) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

describe('routing', () => {
  it('identifies, binds through the dtab and forwards to the endpoint', async () => {
    const web = await backend();
    const api = await backend();
    const { port } = await router(
      `/svc/web => /$/inet/127.0.0.1/${web.port}; /svc/api => /$/inet/127.0.0.1/${api.port}`,
    );
    const a = await httpRequest(port, { path: '/hello?x=1', headers: { 'x-dst': 'web' } });
    expect(a.status).toBe(200);
    expect(a.body).toBe(`backend:${web.port} GET /hello?x=1`);
    const b = await httpRequest(port, { method: 'DELETE', path: '/thing', headers: { 'x-dst': 'api' } });
    expect(b.body).toBe(`backend:${api.port} DELETE /thing`);
  });

  it('forwards content-length and chunked request bodies and both response framings', async () => {
    const echo = await backend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const framing = req.headers['transfer-encoding'] ?? `length ${req.headers['content-length']}`;
        if (req.url === '/chunked') {
          res.write(`${framing}:`);
          res.end(body);
        } else {
          res.setHeader('content-length', Buffer.byteLength(`${framing}:`) + body.length);
          res.end(Buffer.concat([Buffer.from(`${framing}:`), body]));
        }
      });
    });
    const { port } = await router(`/svc/echo => /$/inet/127.0.0.1/${echo.port}`);
    const fixed = await httpRequest(port, {
      method: 'POST',
      path: '/fixed',
      headers: { 'x-dst': 'echo' },
      body: 'abc',
    });
    expect(fixed.body).toBe('length 3:abc');
    expect(fixed.headers['content-length']).toBe(String('length 3:abc'.length));

    const chunked = await new Promise<{ body: string; te: string | undefined }>((resolve, reject) => {
      const req = net.connect(port, '127.0.0.1', () => {
        req.write(
          'POST /chunked HTTP/1.1\r\nHost: x\r\nx-dst: echo\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
            '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
        );
      });
      let raw = '';
      req.on('data', (d) => {
        raw += d.toString();
      });
      req.on('end', () => {
        const [head, ...rest] = raw.split('\r\n\r\n');
        const te = /transfer-encoding: (\S+)/i.exec(head!)?.[1];
        resolve({ body: dechunk(rest.join('\r\n\r\n')), te });
      });
      req.on('error', reject);
    });
    expect(chunked.te).toBe('chunked');
    expect(chunked.body).toBe('chunked:abcde');
  });

  it('strips hop-by-hop headers both ways and adds Via, X-Forwarded-*, l5d-dst-*', async () => {
    let upstream: Record<string, unknown> = {};
    const b = await backend((req, res) => {
      upstream = { ...req.headers };
      res.setHeader('connection', 'x-secret-hop');
      res.setHeader('x-secret-hop', '1');
      res.setHeader('keep-alive', 'timeout=5');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('x-kept', 'yes');
      res.end('ok');
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, forwarded: { rfc7239: { by: 'edge' } } }],
    });
    const reply = await httpRequest(port, {
      headers: {
        'x-dst': 'web',
        host: 'example.com',
        connection: 'x-client-hop',
        'x-client-hop': 'secret',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9v',
        'x-forwarded-for': '10.0.0.1',
        via: '1.1 cdn',
      },
    });
    expect(reply.body).toBe('ok');
    expect(reply.status).toBe(200);
    expect(upstream['x-client-hop']).toBeUndefined();
    expect(upstream.te).toBeUndefined();
    expect(upstream['proxy-authorization']).toBeUndefined();
    expect(upstream.host).toBe('example.com');
    expect(upstream.via).toBe('1.1 cdn, 1.1 switchyard');
    expect(upstream['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(upstream['x-forwarded-proto']).toBe('http');
    expect(upstream['x-forwarded-host']).toBe('example.com');
    expect(upstream.forwarded).toBe('for=127.0.0.1;proto=http;host=example.com;by=edge');
    expect(upstream['l5d-dst-service']).toBe('/svc/web');
    expect(upstream['l5d-dst-client']).toBe(`/$/inet/127.0.0.1/${b.port}`);
    expect(reply.headers['x-secret-hop']).toBeUndefined();
    expect(reply.headers['proxy-authenticate']).toBeUndefined();
    expect(reply.headers['x-kept']).toBe('yes');
    expect(reply.headers.via).toBe('1.1 switchyard');
  });

  it('rewrites absolute-form request targets as ProxyRewriteFilter does', async () => {
    let seen: { url?: string; host?: string } = {};
    const b = await backend((req, res) => {
      seen = { url: req.url, host: req.headers.host };
      res.end('ok');
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () =>
        s.write(
          'GET http://proxied.example:8080/p/q?x=1 HTTP/1.1\r\nHost: ignored\r\nx-dst: web\r\nConnection: close\r\n\r\n',
        ),
      );
      let out = '';
      s.on('data', (d) => {
        out += d.toString();
      });
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(raw.startsWith('HTTP/1.1 200')).toBe(true);
    expect(seen).toEqual({ url: '/p/q?x=1', host: 'proxied.example:8080' });
  });

  it('answers 400 Unknown destination with the request and the reason', async () => {
    const { port } = await router('/svc => /$/inet/127.0.0.1/1');
    const reply = await httpRequest(port, { path: '/a' });
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toMatch(/^text\/plain/);
    expect(reply.body).toMatch(
      /^Unknown destination: Request\("GET \/a", from \/127\.0\.0\.1:\d+\) \/ x-dst header is absent\n$/,
    );
    expect(`${decodeURIComponent(reply.headers['l5d-err'] as string)}\n`).toBe(reply.body);
  });

  it('uses the status an identifier asks for', async () => {
    const { port } = await router('/svc => /$/inet/127.0.0.1/1', {
      identifier: headerIdentifier('x-dst', 404),
    });
    const reply = await httpRequest(port);
    expect(reply.status).toBe(404);
    expect(reply.body).toContain('Unknown destination');
  });

  it('answers 502 when the name is neg, fail or empty', async () => {
    const { port } = await router('/svc/failing => /$/fail; /svc/nil => /$/nil');
    const neg = await httpRequest(port, { headers: { 'x-dst': 'nowhere' } });
    expect(neg.status).toBe(502);
    expect(neg.body).toContain('Unable to route request!');
    expect(neg.body).toContain('/svc/nowhere');
    expect((await httpRequest(port, { headers: { 'x-dst': 'failing' } })).status).toBe(502);
    expect((await httpRequest(port, { headers: { 'x-dst': 'nil' } })).status).toBe(502);
  });

  it('answers 502 when the connection is refused', async () => {
    const dead = await freePort();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${dead}`, {
      client: { requeueBudget: undefined },
    });
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(502);
    expect(reply.body).toBe(`Unable to establish connection to 127.0.0.1:${dead}.\n`);
  });

  it('spreads a union by weight and alt falls back past neg', async () => {
    const a = await backend();
    const b = await backend();
    let i = 0;
    const seq = [0.1, 0.9];
    const { port } = await router(
      `/svc/split => 1 * /$/inet/127.0.0.1/${a.port} & 1 * /$/inet/127.0.0.1/${b.port}; /svc/alt => /svc/missing | /$/inet/127.0.0.1/${b.port}`,
      { random: () => seq[i++ % 2]! },
    );
    const first = await httpRequest(port, { headers: { 'x-dst': 'split' } });
    const second = await httpRequest(port, { headers: { 'x-dst': 'split' } });
    expect(new Set([first.body.split(' ')[0], second.body.split(' ')[0]])).toEqual(
      new Set([`backend:${a.port}`, `backend:${b.port}`]),
    );
    expect((await httpRequest(port, { headers: { 'x-dst': 'alt' } })).body).toContain(`backend:${b.port}`);
  });

  it('runs a user server layer before identification (an auth layer)', async () => {
    const b = await backend((req, res) => res.end(`user=${req.headers['x-user']}`));
    const auth: ServerLayer = {
      kind: 'server',
      role: 'auth',
      description: 'bearer token → x-user',
      layer: (next) => async (inbound) => {
        const token = inbound.head.headers.authorization;
        if (token !== 'Bearer alice-token') {
          const res = inbound.exchange.res;
          res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
          res.end('unauthorized');
          return;
        }
        inbound.exchange.locals.user = 'alice';
        return next(
          withHead(inbound, withHeaders(inbound.head, { authorization: undefined, 'x-user': 'alice' })),
        );
      },
    };
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: [auth] },
    });
    expect(r.layers.map((l) => l.role)).toEqual([
      'server-stats',
      'rescue',
      'admission',
      'request-line',
      'context',
      'call-depth',
      'proxy-rewrite',
      'auth',
      'identify',
      'bind',
      'route-timeout',
      'retries',
      'mirror',
    ]);
    const denied = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(denied.status).toBe(401);
    expect(b.seen).toHaveLength(0);
    const ok = await httpRequest(port, { headers: { 'x-dst': 'web', authorization: 'Bearer alice-token' } });
    expect(ok.body).toBe('user=alice');
  });

  it('rejects routing loops by Via hop count (maxCallDepth)', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, { maxCallDepth: 2 });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web', via: '1.1 a, 1.1 b' } })).status).toBe(200);
    const loop = await httpRequest(port, { headers: { 'x-dst': 'web', via: '1.1 a, 1.1 b, 1.1 c' } });
    expect(loop.status).toBe(400);
    expect(loop.body).toContain('Maximum number of calls (2)');
  });

  it('counts requests under Linkerd metric names and exposes clients', async () => {
    const b = await backend();
    const stats = createMetricsRegistry();
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, { stats });
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    await httpRequest(port, { headers: { 'x-dst': 'none' } });
    const byName = new Map(stats.snapshot().map((m) => [m.name.join('/'), m]));
    const value = (name: string) => {
      const m = byName.get(name);
      return m?.kind === 'counter' || m?.kind === 'gauge'
        ? m.value
        : m?.kind === 'histogram'
          ? m.count
          : undefined;
    };
    const server = `rt/http/server/127.0.0.1/${port}`;
    expect(value(`${server}/requests`)).toBe(3);
    expect(value(`${server}/success`)).toBe(2);
    expect(value(`${server}/failures`)).toBe(1);
    expect(value(`${server}/request_latency_ms`)).toBe(3);
    expect(value(`${server}/status/5XX`)).toBe(1);
    expect(value('rt/http/service/svc/web/requests')).toBe(2);
    expect(value('rt/http/service/svc/web/success')).toBe(2);
    const client = `rt/http/client/$/inet/127.0.0.1/${b.port}`;
    expect(value(`${client}/requests`)).toBe(2);
    expect(value(`${client}/endpoint/127.0.0.1:${b.port}/requests`)).toBe(2);
    expect(value(`${client}/loadbalancer/size`)).toBe(1);
    expect(r.clients()).toEqual([
      {
        id: `/$/inet/127.0.0.1/${b.port}`,
        addr: 'bound',
        balancer: { size: 1, available: 1 },
        endpoints: [{ host: '127.0.0.1', port: b.port, weight: 1, pending: 0, state: 'alive', meta: {} }],
      },
    ]);
    expect(r.ready).toBe(true);
    expect(r.servers[0]).toMatchObject({ ip: '127.0.0.1', port, clearContext: false });
  });
});

describe('server factory', () => {
  it('uses createServer (e.g. the TLS helper) with the router limits applied', async () => {
    const b = await backend();
    const seen: import('node:http').ServerOptions[] = [];
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [
        {
          port: 0,
          maxHeadersKB: 4,
          createServer: (options) => {
            seen.push(options);
            return http.createServer(options);
          },
        },
      ],
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.maxHeaderSize).toBe(4096);
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).status).toBe(200);
  });
});
