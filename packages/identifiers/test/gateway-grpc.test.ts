/**
 * GRPCRoute in io.l5d.httproute: request heads taken from real HTTP/1.1 requests (a node:http
 * server on port 0 hands each request's method, target, headers and local port to the
 * identifier) carrying gRPC headers, matched against GRPCRoutes attached to the listener, beside
 * HTTPRoutes; and the status of both kinds (route parents, listener attachedRoutes and
 * supportedKinds).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identification, RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  gatewayStatus,
  grpcRouteParents,
  type HttpRouteIdentifier,
} from '../src/gateway.js';

const G = 'gateway.networking.k8s.io/v1';

const objects = (port: number): KubeObject[] =>
  [
    {
      apiVersion: G,
      kind: 'GatewayClass',
      metadata: { name: 'sy' },
      spec: { controllerName: DEFAULT_GATEWAY_CONTROLLER },
    },
    {
      apiVersion: G,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default', generation: 1 },
      spec: {
        gatewayClassName: 'sy',
        listeners: [
          { name: 'http', port, protocol: 'HTTP' },
          // Admits HTTPRoutes only: a GRPCRoute naming it is NotAllowedByListeners.
          {
            name: 'web-only',
            port: port + 1,
            protocol: 'HTTP',
            allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] },
          },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'GRPCRoute',
      metadata: { name: 'echo', namespace: 'default', generation: 3 },
      spec: {
        parentRefs: [{ name: 'gw', sectionName: 'http' }],
        hostnames: ['grpc.test'],
        rules: [
          {
            matches: [{ method: { service: 'echo.Echo', method: 'Say' } }],
            backendRefs: [{ name: 'echo-say', port: 9000 }],
          },
          {
            matches: [{ method: { service: 'echo.Echo' }, headers: [{ name: 'x-canary', value: '1' }] }],
            backendRefs: [{ name: 'echo-canary', port: 9000 }],
          },
          { matches: [{ method: { service: 'echo.Echo' } }], backendRefs: [{ name: 'echo', port: 9000 }] },
          // Matched but unusable: the only backend is not a Service.
          {
            matches: [{ method: { service: 'broken.Svc' } }],
            backendRefs: [{ group: 'example.com', kind: 'Thing', name: 'x', port: 1 }],
          },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'GRPCRoute',
      metadata: { name: 'refused', namespace: 'default', generation: 1 },
      spec: {
        parentRefs: [{ name: 'gw', sectionName: 'web-only' }],
        rules: [{ backendRefs: [{ name: 'echo', port: 9000 }] }],
      },
    },
    {
      apiVersion: G,
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['grpc.test'],
        rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      },
    },
  ] as unknown as KubeObject[];

describe('io.l5d.httproute: GRPCRoute', () => {
  let server: http.Server;
  let port: number;
  let id: HttpRouteIdentifier;

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      req.resume();
      // The request head as the router builds it from the socket.
      const head: RequestHead = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        httpVersion: req.httpVersion,
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort ?? 0,
        localAddress: req.socket.localAddress ?? '',
        localPort: req.socket.localPort ?? 0,
        secure: false,
      };
      const r: Identification<RequestHead> = await id(head);
      res.end(r.kind === 'identified' ? Path.show(r.path) : `${r.status} ${r.reason}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    id = createHttpRouteIdentifier({ source: { kind: 'static', objects: objects(port) } });
    await id.synced;
  });

  afterAll(async () => {
    id.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function call(path: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', headers: { host: `grpc.test:${port}`, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  const grpc = { 'content-type': 'application/grpc', te: 'trailers' };

  it('names gRPC calls by service and method, headers and precedence', async () => {
    expect(await call('/echo.Echo/Say', grpc)).toBe('/svc/default/9000/echo-say');
    expect(await call('/echo.Echo/Shout', grpc)).toBe('/svc/default/9000/echo');
    expect(await call('/echo.Echo/Shout', { ...grpc, 'x-canary': '1' })).toBe(
      '/svc/default/9000/echo-canary',
    );
    // An exact method beats a service-only match with more headers.
    expect(await call('/echo.Echo/Say', { ...grpc, 'x-canary': '1' })).toBe('/svc/default/9000/echo-say');
    expect(await call('/echo.Echo/Say', { 'content-type': 'application/grpc+proto' })).toBe(
      '/svc/default/9000/echo-say',
    );
  });

  it('leaves non-gRPC requests and calls no GRPCRoute takes to the HTTPRoutes', async () => {
    expect(await call('/echo.Echo/Say', { 'content-type': 'application/json' })).toBe('/svc/default/80/web');
    expect(await call('/echo.Echo/Say', { 'content-type': 'application/grpc-web' })).toBe(
      '/svc/default/80/web',
    );
    expect(await call('/other.Svc/Get', grpc)).toBe('/svc/default/80/web');
    expect(await call('/not/a/grpc/path', grpc)).toBe('/svc/default/80/web');
  });

  it('answers 500 for a matched rule whose backends are all invalid', async () => {
    expect(await call('/broken.Svc/Do', grpc)).toMatch(
      /^500 GRPCRoute default\/echo rule 3: invalid backends \(Thing default\/x: InvalidKind\)/,
    );
  });

  it('writes GRPCRoute parents and counts both kinds on the listener', () => {
    const now = new Date(0).toISOString();
    const state = id.state();
    const echo = grpcRouteParents(state, 'default/echo', DEFAULT_GATEWAY_CONTROLLER, now);
    expect(echo).toHaveLength(1);
    expect(
      echo[0]!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}/${c.observedGeneration}`),
    ).toEqual(['Accepted=True/Accepted/3', 'ResolvedRefs=False/InvalidKind/3']);
    const refused = grpcRouteParents(state, 'default/refused', DEFAULT_GATEWAY_CONTROLLER, now);
    expect(refused[0]!.conditions[0]).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
    const gw = gatewayStatus(state, 'default/gw', now)!;
    const http = gw.listeners.find((l) => l.name === 'http')!;
    expect(http.attachedRoutes).toBe(2); // the HTTPRoute and the GRPCRoute
    expect(http.supportedKinds).toEqual([
      { group: G.split('/')[0], kind: 'HTTPRoute' },
      { group: G.split('/')[0], kind: 'GRPCRoute' },
    ]);
    const webOnly = gw.listeners.find((l) => l.name === 'web-only')!;
    expect(webOnly.attachedRoutes).toBe(1); // the HTTPRoute (no sectionName) only
    expect(webOnly.supportedKinds).toEqual([{ group: G.split('/')[0], kind: 'HTTPRoute' }]);
  });
});
