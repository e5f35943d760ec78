/**
 * `Linker.reload` of `client:` and `service:` (io.l5d.static per-prefix configs) through real
 * sockets: a changed per-prefix timeout, retry classifier and protocol apply to the next
 * requests, and a request in flight during the reload finishes on its old client, whose
 * connection is closed once the grace has passed.
 */
import http, { type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { getText as get } from './http.js';

const kinds = createDefaultKinds();

interface Policies {
  readonly client?: string;
  readonly service?: string;
}

describe('reload of client and service policies', () => {
  const held: { res: ServerResponse; socket: Socket }[] = [];
  let flaky = 0;
  let a: http.Server;
  let b: http2.Http2Server;
  let linker: Linker;
  let port: number;
  const config = (p: Policies) => `admin: {port: 0, shutdownGraceMs: 300}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${(a.address() as AddressInfo).port};
    /svc/f => /$/inet/127.0.0.1/${(a.address() as AddressInfo).port};
    /svc/b => /$/inet/127.0.0.1/${(b.address() as AddressInfo).port};
  servers:
  - port: 0
${p.client ?? ''}
${p.service ?? ''}
`;
  const reload = (p: Policies) => linker.reload(parseLinkerConfig(config(p), 'policies.yaml', kinds));
  const bPort = () => (b.address() as AddressInfo).port;

  beforeAll(async () => {
    // A: HTTP/1.1; /a/slow answers after 400 ms, /a/hold when the test says, /f/flaky 503 then 200.
    a = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/a/slow') setTimeout(() => res.end('a slow'), 400);
      else if (req.url === '/a/hold') held.push({ res, socket: req.socket });
      else if (req.url === '/f/flaky') {
        flaky++;
        res.statusCode = flaky % 2 === 1 ? 503 : 200;
        res.end(`a flaky ${flaky}`);
      } else res.end('a');
    });
    // B: HTTP/2 only (h2c).
    b = http2.createServer((_req, res) => res.end('b'));
    for (const s of [a, b]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    linker = await Linker.start(parseLinkerConfig(config({}), 'policies.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      admin: { port: 0 },
    });
    port = linker.routers[0]!.servers[0]!.port;
  });

  afterAll(async () => {
    for (const h of held.splice(0)) h.res.end();
    await linker.close();
    for (const s of [a, b]) await new Promise<void>((r) => s.close(() => r()));
  });

  it('a per-prefix total timeout, retry classifier and protocol apply to the next requests', async () => {
    expect(await get(port, '/a/slow')).toEqual({ status: 200, body: 'a slow' });
    // B speaks only HTTP/2: over the default HTTP/1.1 client it fails.
    expect((await get(port, '/b/x')).status).not.toBe(200);
    // No retries by default: the 503 is the answer (the next request gets the 200).
    expect(await get(port, '/f/flaky')).toEqual({ status: 503, body: 'a flaky 1' });
    expect(await get(port, '/f/flaky')).toEqual({ status: 200, body: 'a flaky 2' });

    const result = await reload({
      client: `  client:
    kind: io.l5d.static
    configs:
    - prefix: /$/inet/127.0.0.1/${bPort()}
      protocol: h2c`,
      service: `  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/a
      totalTimeoutMs: 100
    - prefix: /svc/f
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}`,
    });
    expect(result).toEqual({ kind: 'applied', changes: ['routers[0].client', 'routers[0].service'] });
    expect(await get(port, '/a/slow')).toEqual({
      status: 503,
      body: 'Request exceeded totalTimeoutMs (100 ms)\n',
    });
    expect(await get(port, '/b/x')).toEqual({ status: 200, body: 'b' });
    // The classifier retries the 503 (the third attempt overall) and the retry gets the 200.
    expect(await get(port, '/f/flaky')).toEqual({ status: 200, body: 'a flaky 4' });

    // And back: the entries removed, the defaults apply again.
    expect(await reload({})).toEqual({
      kind: 'applied',
      changes: ['routers[0].client', 'routers[0].service'],
    });
    expect(await get(port, '/a/slow')).toEqual({ status: 200, body: 'a slow' });
    expect((await get(port, '/b/x')).status).not.toBe(200);
  });

  it('a request in flight during the reload finishes on its old client, closed after the grace', async () => {
    const inflight = get(port, '/a/hold');
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const { res, socket } = held.shift()!;
    expect(
      await reload({
        service: `  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/a
      totalTimeoutMs: 5000`,
      }),
    ).toEqual({ kind: 'applied', changes: ['routers[0].service'] });
    // New requests use the new client (a new connection to the backend).
    const next = get(port, '/a/hold');
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = held.shift()!;
    expect(second.socket).not.toBe(socket);
    // The old one's request is still being served, past the grace (300 ms).
    await new Promise((r) => setTimeout(r, 500));
    expect(socket.destroyed).toBe(false);
    res.end('finished');
    expect(await inflight).toEqual({ status: 200, body: 'finished' });
    // Its pool was closed gracefully: once the request completed, the connection goes.
    const deadline = Date.now() + 5000;
    while (!socket.destroyed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(socket.destroyed).toBe(true);
    second.res.end('second');
    expect(await next).toEqual({ status: 200, body: 'second' });
  });
});
