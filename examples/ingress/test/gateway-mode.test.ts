/**
 * The reference binary in gateway mode: `io.l5d.httproute` and `io.l5d.ingress` side by side in
 * one router (directory sources, one dtab). GRPCRoutes take HTTP/1.1 requests that carry gRPC
 * headers (`content-type: application/grpc`, path `/<service>/<method>`; HTTP/2 on the data
 * path comes with the router's HTTP/2 wiring); a Gateway route matched with only invalid
 * backends answers 500 instead of falling through to an Ingress rule for the same host; requests
 * no Gateway route matches go to the Ingress.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startBinary } from './binary.js';

const G = 'gateway.networking.k8s.io/v1';

const gatewayManifests = `apiVersion: ${G}
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: ${G}
kind: Gateway
metadata: {name: l5d, namespace: default}
spec:
  gatewayClassName: switchyard
  listeners:
  - {name: http, protocol: HTTP, port: 80}
---
apiVersion: ${G}
kind: GRPCRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{name: l5d}]
  hostnames: [grpc.test]
  rules:
  - matches: [{method: {service: echo.Echo}}]
    backendRefs: [{name: grpc-echo, port: 9000}]
  - matches: [{method: {service: broken.Svc}}]
    backendRefs: [{group: example.com, kind: Thing, name: x, port: 1}]
---
apiVersion: ${G}
kind: HTTPRoute
metadata: {name: web, namespace: default}
spec:
  parentRefs: [{name: l5d}]
  hostnames: [grpc.test]
  rules:
  - backendRefs: [{name: web, port: 80}]
---
apiVersion: ${G}
kind: HTTPRoute
metadata: {name: shop, namespace: default}
spec:
  parentRefs: [{name: l5d}]
  hostnames: [shop.test]
  rules:
  - backendRefs: [{group: example.com, kind: Bucket, name: b, port: 1}]
`;

const ingressManifest = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: old
  namespace: default
  annotations: {kubernetes.io/ingress.class: linkerd}
spec:
  rules:
  - host: shop.test
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: old, port: {number: 80}}}}]
  - host: legacy.test
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: old, port: {number: 80}}}}]
`;

describe('gateway mode: io.l5d.httproute (with GRPCRoutes) then io.l5d.ingress in the running binary', () => {
  let dir: string;
  let binary: RunningBinary;
  const backends: http.Server[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-gateway-mode-'));
    for (const d of ['routes', 'ingresses', 'namers']) await mkdir(join(dir, d));
    for (const name of ['grpc-echo', 'web', 'old']) {
      const server = http.createServer((req, res) => {
        req.resume();
        res.end(`${name} ${req.method} ${req.url} ${req.headers['content-type'] ?? '-'}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      backends.push(server);
      await writeFile(join(dir, 'namers', name), `127.0.0.1 ${(server.address() as AddressInfo).port}\n`);
    }
    await writeFile(join(dir, 'routes', 'gateway.yaml'), gatewayManifests);
    await writeFile(join(dir, 'ingresses', 'old.yaml'), ingressManifest);
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: namers
routers:
- protocol: http
  identifier:
  - kind: io.l5d.httproute
    dir: routes
  - kind: io.l5d.ingress
    ingressDir: ingresses
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/default/* => /#/io.l5d.fs
`,
    );
    binary = await startBinary(join(dir, 'linker.yaml'));
  }, 60_000);

  afterAll(async () => {
    await binary?.stop();
    for (const s of backends) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  function post(host: string, path: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: binary.port,
          path,
          method: 'POST',
          agent: false,
          headers: { host, ...headers },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('\0\0\0\0\0');
    });
  }
  const grpc = { 'content-type': 'application/grpc', te: 'trailers' };

  it('sends gRPC calls by GRPCRoute and other requests on the same host by HTTPRoute', async () => {
    expect(await post('grpc.test', '/echo.Echo/Say', grpc)).toEqual({
      status: 200,
      body: 'grpc-echo POST /echo.Echo/Say application/grpc',
    });
    expect(
      await post('grpc.test', '/echo.Echo/Say', { 'content-type': 'application/grpc+proto' }),
    ).toMatchObject({
      body: 'grpc-echo POST /echo.Echo/Say application/grpc+proto',
    });
    expect(await post('grpc.test', '/echo.Echo/Say', { 'content-type': 'application/json' })).toMatchObject({
      status: 200,
      body: 'web POST /echo.Echo/Say application/json',
    });
    expect((await post('grpc.test', '/broken.Svc/Do', grpc)).status).toBe(500);
  });

  it('answers 500 for a matched Gateway route with invalid backends; unmatched hosts go to the Ingress', async () => {
    expect((await post('shop.test', '/')).status).toBe(500);
    expect(await post('legacy.test', '/')).toMatchObject({ status: 200, body: 'old POST / -' });
    expect((await post('nowhere.test', '/')).status).not.toBe(200);
  });
});
