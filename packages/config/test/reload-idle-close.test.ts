/**
 * After a policy reload the old clients close as soon as no request uses them, not when
 * `admin.shutdownGraceMs` ends (issue 16): a backend counting its open connections sees the old
 * pool's keep-alive socket close promptly when nothing is in flight, and, with a request in
 * flight across the reload, right after that request ends — both well inside a 20 s grace (idle
 * connections are kept a minute by the client and the backend, so nothing else closes them).
 */
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { eventually } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get } from './http.js';

const kinds = createDefaultKinds();
const GRACE_MS = 20_000;

describe('old clients close when idle after a reload', () => {
  const open = new Set<Socket>();
  const held: ServerResponse[] = [];
  let backend: http.Server;
  let linker: Linker;
  let port: number;
  const config = (attemptMs: number) => `admin: {port: 0, shutdownGraceMs: ${GRACE_MS}}
routers:
- protocol: http
  dtab: /svc/web => /$/inet/127.0.0.1/${(backend.address() as AddressInfo).port}
  servers: [{port: 0}]
  client:
    kind: io.l5d.global
    requestAttemptTimeoutMs: ${attemptMs}
    # Idle connections are kept a minute on both sides: only the retirement closes them.
    hostConnectionPool: {idleTimeMs: 60000}
  service:
    kind: io.l5d.global
    # Retryable PUTs: their bodies are read into memory before the first attempt.
    responseClassifier: {kind: io.l5d.http.retryableIdempotent5XX}
`;
  const reload = (attemptMs: number) =>
    linker.reload(parseLinkerConfig(config(attemptMs), 'idle.yaml', kinds));

  beforeAll(async () => {
    backend = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      if (req.url === '/hold') held.push(res);
      else req.on('end', () => res.end(req.method === 'PUT' ? `got ${Buffer.concat(chunks)}` : 'ok'));
    });
    backend.keepAliveTimeout = 60_000;
    backend.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    linker = await Linker.start(parseLinkerConfig(config(5000), 'idle.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      noAdmin: true,
    });
    port = linker.routers[0]!.servers[0]!.port;
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.end();
    await linker.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  it('closes the old pool at once when no request is in flight', async () => {
    expect((await get(port, { headers: { host: 'web' } })).status).toBe(200);
    const [old] = [...open];
    expect(old).toBeDefined();
    const started = Date.now();
    expect(await reload(6000)).toEqual({ kind: 'applied', changes: ['routers[0].client'] });
    await eventually(() => old!.destroyed || !open.has(old!), {
      timeoutMs: 10_000,
      what: "the old pool's keep-alive connection closed",
    });
    // Before, it stayed open for the whole grace (20 s).
    expect(Date.now() - started).toBeLessThan(2_000);
    // The new client serves (on a new connection).
    expect((await get(port, { headers: { host: 'web' } })).status).toBe(200);
  });

  it('closes it right after the last request in flight ends', async () => {
    const inFlight = get(port, { path: '/hold', headers: { host: 'web' } });
    await eventually(() => held.length === 1, { what: 'the held request at the backend' });
    const before = new Set(open);
    expect(await reload(7000)).toEqual({ kind: 'applied', changes: ['routers[0].client'] });
    // The request keeps its connection while it runs.
    await new Promise((r) => setTimeout(r, 300));
    for (const s of before) expect(open.has(s)).toBe(true);
    held.shift()!.end('late');
    expect((await inFlight).body).toBe('late');
    const ended = Date.now();
    await eventually(() => [...before].every((s) => !open.has(s)), {
      timeoutMs: 10_000,
      what: "the old clients' connections closed after their request",
    });
    expect(Date.now() - ended).toBeLessThan(2_000);
  });

  it('keeps the old client for a request still uploading a retryable body across the reload', async () => {
    // The retry layer reads the body before the first attempt: the request already uses the old
    // client then, so the client must not close under it (it used to count only from the attempts).
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { port, method: 'PUT', path: '/upload', headers: { host: 'web', 'content-length': 4 }, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('ab');
      setTimeout(async () => {
        try {
          expect(await reload(8000)).toEqual({ kind: 'applied', changes: ['routers[0].client'] });
          // Time for an idle old client to close (the cases above close within 2 s).
          await new Promise((r) => setTimeout(r, 1500));
          req.end('cd');
        } catch (err) {
          reject(err);
        }
      }, 200);
    });
    expect(await answer).toEqual({ status: 200, body: 'got abcd' });
  });
});
