/**
 * RequestMirror bounds end to end: the reference binary with `io.l5d.httproute`'s `mirror`
 * option (`maxInFlight`, `maxBodyBytes`, `timeoutMs`, carried to the router as core
 * `RouteActions.mirrorLimits`) and a mirror backend that accepts requests and never answers. The
 * real requests are not slowed, the copies in flight never exceed the bound (the rest are dropped
 * and counted), copies are cut at the timeout (counted as failures) which frees the bound, and a
 * body over `maxBodyBytes` is not copied.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';
import { curl, eventually } from './http-client.js';

const MAX_IN_FLIGHT = 2;
const TIMEOUT_MS = 3000;

function config(namersDir: string): string {
  return `admin: {port: 0, ip: 127.0.0.1}
namers:
- kind: io.l5d.fs
  rootDir: ${namersDir}
routers:
- protocol: http
  label: mirrored
  identifier:
    kind: io.l5d.httproute
    dir: routes
    mirror: {maxInFlight: ${MAX_IN_FLIGHT}, maxBodyBytes: 8, timeoutMs: ${TIMEOUT_MS}}
  service:
    # PUT is retryable, so a small PUT body is buffered (the only bodies a mirror copies).
    responseClassifier: {kind: io.l5d.http.retryableIdempotent5XX}
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/default/* => /#/io.l5d.fs
`;
}

const ROUTE = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: switchyard
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mirrored, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [mirror.test]
  rules:
  - filters:
    - type: RequestMirror
      requestMirror: {backendRef: {name: hang, port: 80}}
    backendRefs: [{name: echo, port: 80}]
`;

describe('RequestMirror limits in the running binary', () => {
  let dir: string;
  let binary: RunningBinary;
  let adminUrl: string;
  let echo: http.Server;
  let hang: http.Server;
  const hangSockets = new Set<Socket>();
  /** Requests the never-answering mirror holds open now, the most it ever held, and their methods. */
  let open = 0;
  let maxOpen = 0;
  const received: string[] = [];

  const metric = async (name: string): Promise<number> => {
    const all = JSON.parse((await curl(`${adminUrl}admin/metrics.json`)).body) as Record<string, number>;
    return all[`rt/mirrored/mirror/${name}`] ?? 0;
  };
  const counters = async () => ({
    requests: await metric('requests'),
    failures: await metric('failures'),
    inFlight: await metric('skipped/in_flight'),
    body: await metric('skipped/body'),
  });
  const get = (path: string) => curl(`http://127.0.0.1:${binary.port}${path}`, { host: 'mirror.test' });
  const put = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: binary.port,
          path: '/put',
          method: 'PUT',
          headers: { host: 'mirror.test', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-gateway-mirror-'));
    const namers = join(dir, 'namers');
    await mkdir(namers);
    await mkdir(join(dir, 'routes'));
    echo = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(`echo ${req.method} ${req.url}`));
    });
    hang = http.createServer((req) => {
      // Reads the request, never answers: each copy stays in flight until the router cuts it.
      received.push(req.method ?? '');
      open++;
      maxOpen = Math.max(maxOpen, open);
      req.resume();
      req.socket.once('close', () => open--);
    });
    hang.on('connection', (s) => hangSockets.add(s));
    for (const s of [echo, hang]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    await writeFile(join(namers, 'echo'), `127.0.0.1 ${(echo.address() as AddressInfo).port}\n`);
    await writeFile(join(namers, 'hang'), `127.0.0.1 ${(hang.address() as AddressInfo).port}\n`);
    await writeFile(join(dir, 'routes', 'mirror.yaml'), ROUTE);
    await writeFile(join(dir, 'linker.yaml'), config(namers));
    binary = await startBinary(join(dir, 'linker.yaml'));
    await eventually(async () => /"msg":"admin","url":"/.test(binary.stderr()));
    adminUrl = /"msg":"admin","url":"([^"]+)"/.exec(binary.stderr())![1]!;
  }, 60_000);

  afterAll(async () => {
    await binary?.stop();
    for (const s of hangSockets) s.destroy();
    for (const s of [echo, hang]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('never slows the real request, keeps copies in flight within maxInFlight, cuts them at timeoutMs', async () => {
    // Warm up until a copy reaches the mirror (the fs namer picks up its file on its own schedule).
    await eventually(async () => (await get('/warm')).status === 200 && received.length > 0, 20_000);
    // Let every warm-up copy be cut, so that the bound is free.
    await eventually(async () => open === 0, TIMEOUT_MS + 10_000);
    maxOpen = 0;
    const before = await counters();

    const took: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await get(`/real/${i}`);
      took.push(performance.now() - t0);
      expect(r.status).toBe(200);
      expect(r.body).toBe(`echo GET /real/${i}`);
    }
    // Waiting for a copy would cost at least TIMEOUT_MS per request; none comes close.
    expect(Math.max(...took)).toBeLessThan(TIMEOUT_MS / 2);
    const during = await counters();
    expect(during.requests - before.requests).toBe(MAX_IN_FLIGHT);
    expect(during.inFlight - before.inFlight).toBe(20 - MAX_IN_FLIGHT);
    await eventually(async () => open === MAX_IN_FLIGHT);
    expect(maxOpen).toBe(MAX_IN_FLIGHT);

    // Cut at timeoutMs: counted as failures, and the mirror's requests are closed.
    await eventually(
      async () => (await counters()).failures - before.failures >= MAX_IN_FLIGHT,
      TIMEOUT_MS + 10_000,
    );
    await eventually(async () => open === 0);
    expect(maxOpen).toBe(MAX_IN_FLIGHT);

    // The bound is free again; a buffered body over maxBodyBytes is not copied, a small one is.
    const puts = received.filter((m) => m === 'PUT').length;
    expect(await put('x'.repeat(32))).toBe(200);
    expect((await counters()).body - during.body).toBe(1);
    expect(await put('tiny')).toBe(200);
    await eventually(async () => received.filter((m) => m === 'PUT').length === puts + 1);
  }, 60_000);
});
