/**
 * GRPCRoute filters in io.l5d.httproute, as a router runs them: a node:http server on port 0
 * passes each request through the filters layer (response side) and then the identifier
 * (request side), and answers with what the router would forward (the identified request's
 * headers and its route actions). `RequestHeaderModifier`, `ResponseHeaderModifier` and
 * `RequestMirror` apply to gRPC calls the GRPCRoute rule takes; `RequestRedirect`/`URLRewrite` are
 * not GRPCRoute filters (the route is reported as a problem naming the field, and not served).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  type HttpRouteIdentifier,
  httpRouteFiltersLayer,
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
      metadata: { name: 'gw', namespace: 'default' },
      spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', port, protocol: 'HTTP' }] },
    },
    {
      apiVersion: G,
      kind: 'GRPCRoute',
      metadata: { name: 'echo', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [
          {
            matches: [{ method: { service: 'echo.Echo', method: 'Say' } }],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'x-env', value: 'canary' }], remove: ['x-drop'] },
              },
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { add: [{ name: 'x-served-by', value: 'switchyard' }] },
              },
              { type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow', port: 9001 } } },
            ],
            backendRefs: [{ name: 'echo', port: 9000 }],
          },
          { matches: [{ method: { service: 'echo.Echo' } }], backendRefs: [{ name: 'echo', port: 9000 }] },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'GRPCRoute',
      metadata: { name: 'redirecting', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [
          {
            matches: [{ method: { service: 'redirect.Me' } }],
            filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'elsewhere' } }],
            backendRefs: [{ name: 'echo', port: 9000 }],
          },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'default' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
    },
  ] as unknown as KubeObject[];

interface Seen {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: {
    readonly path?: string;
    readonly headers?: Record<string, unknown>;
    readonly mirrors?: string[];
    readonly reason?: string;
  };
}

describe('io.l5d.httproute: GRPCRoute filters through the filters layer and the identifier', () => {
  let server: http.Server;
  let port: number;
  let id: HttpRouteIdentifier;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      const head: RequestHead = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        httpVersion: req.httpVersion,
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort ?? 0,
        localPort: req.socket.localPort ?? 0,
        secure: false,
      };
      // The router's order: the filters layer, then identify, then the backend's answer.
      type Value = { kind: 'inbound'; head: RequestHead; exchange: { res: http.ServerResponse } };
      const layer = httpRouteFiltersLayer<Value>(id).layer(async (ctx) => {
        const r = await id(ctx.head);
        const body =
          r.kind === 'identified'
            ? {
                path: Path.show(r.path),
                headers: r.request.headers,
                mirrors: (r.actions?.mirrors ?? []).map((m) => Path.show(m)),
              }
            : { reason: r.reason };
        ctx.exchange.res.writeHead(r.kind === 'identified' ? 200 : (r.status ?? 400), {
          'content-type': 'application/json',
        });
        ctx.exchange.res.end(JSON.stringify(body));
      });
      void layer({ kind: 'inbound', head, exchange: { res } });
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

  function call(path: string, headers: Record<string, string>): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', headers: { host: `grpc.test:${port}`, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(body) }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  const grpc = { 'content-type': 'application/grpc', te: 'trailers', 'x-drop': 'secret', 'x-env': 'prod' };

  it('applies the matched rule’s request and response header filters and mirrors', async () => {
    const seen = await call('/echo.Echo/Say', grpc);
    expect(seen.status).toBe(200);
    expect(seen.body.path).toBe('/svc/default/9000/echo');
    expect(seen.body.headers?.['x-env']).toBe('canary');
    expect(seen.body.headers).not.toHaveProperty('x-drop');
    expect(seen.body.headers?.['content-type']).toBe('application/grpc');
    expect(seen.body.mirrors).toEqual(['/svc/default/9001/shadow']);
    expect(seen.headers['x-served-by']).toBe('switchyard');
  });

  it('leaves calls of another rule, and HTTP requests on the same path, unfiltered', async () => {
    const other = await call('/echo.Echo/Shout', grpc);
    expect(other.body.path).toBe('/svc/default/9000/echo');
    expect(other.body.headers?.['x-env']).toBe('prod');
    expect(other.body.headers?.['x-drop']).toBe('secret');
    expect(other.body.mirrors).toEqual([]);
    expect(other.headers['x-served-by']).toBeUndefined();
    const web = await call('/echo.Echo/Say', { 'content-type': 'application/json', 'x-env': 'prod' });
    expect(web.body.path).toBe('/svc/default/80/web');
    expect(web.body.headers?.['x-env']).toBe('prod');
    expect(web.headers['x-served-by']).toBeUndefined();
  });

  it('reports a GRPCRoute with an HTTPRoute-only filter, naming the field, and does not serve it', async () => {
    const problem = id
      .problems()
      .find((p) => p.kind === 'invalid' && p.object === 'GRPCRoute default/redirecting');
    expect(problem).toMatchObject({ kind: 'invalid', field: 'spec.rules[0].filters[0].type' });
    expect(problem?.message).toMatch(/"RequestRedirect" is not a GRPCRoute filter/);
    const seen = await call('/redirect.Me/Now', grpc);
    expect(seen.body.path).toBe('/svc/default/80/web');
  });
});
