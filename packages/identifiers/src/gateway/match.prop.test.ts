import type { Identification, RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GrpcRouteRecord, normalizeGrpcRoute } from './grpc.js';
import { createHttpRouteIdentifier } from './identifier.js';
import { type HttpRouteRecord, normalizeGateway, normalizeHttpRoute } from './model.js';
import { prefixCandidates } from './route-index.js';
import { createRouteTables, type RouteContext } from './route-table.js';

const PATHS = ['/', '/a', '/a/', '/a/b', '/ab', '/a/b/c'];
const HOSTS = ['a.example.com', 'b.a.example.com', '*.example.com', '*.a.example.com', 'other.org'];

const arbMatch = fc.record(
  {
    path: fc.record({
      type: fc.constantFrom('Exact', 'PathPrefix', 'RegularExpression'),
      value: fc.constantFrom(...PATHS),
    }),
    method: fc.constantFrom('GET', 'POST'),
    headers: fc.uniqueArray(
      fc.record({ name: fc.constantFrom('x-a', 'X-B'), value: fc.constantFrom('1', '2') }),
      { maxLength: 2, selector: (h) => h.name.toLowerCase() },
    ),
    queryParams: fc.uniqueArray(
      fc.record({ name: fc.constantFrom('q', 'r'), value: fc.constantFrom('1', '2') }),
      {
        maxLength: 2,
        selector: (q) => q.name,
      },
    ),
  },
  { requiredKeys: [] },
);

const arbRoute = fc.record({
  name: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6'),
  ns: fc.constantFrom('default', 'team'),
  created: fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
  hostnames: fc.uniqueArray(fc.constantFrom(...HOSTS), { maxLength: 2 }),
  rules: fc.array(
    fc.record({ matches: fc.array(arbMatch, { maxLength: 3 }), svc: fc.constantFrom('s1', 's2', 's3') }),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
});

const arbRequest = fc.record({
  host: fc.constantFrom('a.example.com', 'b.a.example.com', 'c.b.a.example.com', 'other.org', '10.0.0.1'),
  path: fc.constantFrom(...PATHS, '/a/b/c/d', '/x'),
  method: fc.constantFrom('GET', 'POST'),
  headers: fc.record(
    { 'x-a': fc.constantFrom('1', '2'), 'x-b': fc.constantFrom('1', '2') },
    { requiredKeys: [] },
  ),
  query: fc.constantFrom('', '?q=1', '?q=2&r=1', '?r=2'),
});

const arbGrpcRoute = fc.record({
  name: fc.constantFrom('g1', 'g2', 'g3', 'g4'),
  ns: fc.constantFrom('default', 'team'),
  created: fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
  hostnames: fc.uniqueArray(fc.constantFrom(...HOSTS), { maxLength: 2 }),
  rules: fc.array(
    fc.record({
      matches: fc.array(
        fc.record(
          {
            method: fc.record(
              { service: fc.constantFrom('a.S', 'b.S'), method: fc.constantFrom('M', 'N') },
              { requiredKeys: ['service'] },
            ),
            headers: fc.uniqueArray(
              fc.record({ name: fc.constantFrom('x-a', 'x-b'), value: fc.constantFrom('1', '2') }),
              { maxLength: 2, selector: (h) => h.name },
            ),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      svc: fc.constantFrom('s1', 's2'),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

function grpcRouteObject(
  r: typeof arbGrpcRoute extends fc.Arbitrary<infer T> ? T : never,
  parentRefs: readonly Record<string, unknown>[],
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: r.name, namespace: r.ns, creationTimestamp: r.created },
    spec: {
      parentRefs,
      hostnames: r.hostnames,
      rules: r.rules.map((rule) => ({
        matches: rule.matches,
        backendRefs: [{ name: rule.svc, port: 50051 }],
      })),
    },
  } as KubeObject;
}

type RouteSpec = typeof arbRoute extends fc.Arbitrary<infer T> ? T : never;
type RequestSpec = typeof arbRequest extends fc.Arbitrary<infer T> ? T : never;

function routeObject(r: RouteSpec, parentRefs: readonly Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: r.name, namespace: r.ns, creationTimestamp: r.created },
    spec: {
      parentRefs,
      hostnames: r.hostnames,
      rules: r.rules.map((rule) => ({ matches: rule.matches, backendRefs: [{ name: rule.svc, port: 80 }] })),
    },
  } as KubeObject;
}

function objects(routes: RouteSpec[]): KubeObject[] {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as KubeObject;
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'sy' },
      spec: { controllerName: 'switchyard.dev/gateway-controller' },
    } as KubeObject,
    ns('default'),
    ns('team'),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default' },
      spec: {
        gatewayClassName: 'sy',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    } as KubeObject,
    ...routes.map((r) => routeObject(r, [{ name: 'gw', namespace: 'default' }])),
  ];
}

function head(r: RequestSpec): RequestHead {
  return {
    method: r.method,
    url: `${r.path}${r.query}`,
    httpVersion: '1.1',
    headers: { host: r.host, ...r.headers },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

/** Which route, rule and match won (not just the backend: ties must be broken the same way). */
async function winners(objs: KubeObject[], requests: RequestHead[]): Promise<string[]> {
  const id = createHttpRouteIdentifier({ source: { kind: 'static', objects: objs } });
  await id.synced;
  const out = requests.map((r) => {
    const e = id.match(r);
    return e ? `${e.route.key}#${e.rule.index}.${e.matchIndex}` : '-';
  });
  const named: Identification<RequestHead>[] = await Promise.all(requests.map((r) => id(r)));
  id.close();
  return out.map((w, i) => {
    const n = named[i]!;
    return `${w} ${n.kind === 'identified' ? Path.show(n.path) : n.status}`;
  });
}

describe('io.l5d.httproute properties', () => {
  it('the winner does not depend on the order routes are listed or arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .uniqueArray(arbRoute, { maxLength: 6, selector: (r) => `${r.ns}/${r.name}` })
          .chain((routes) =>
            fc.tuple(fc.constant(routes), fc.shuffledSubarray(routes, { minLength: routes.length })),
          ),
        fc.array(arbRequest, { minLength: 1, maxLength: 8 }),
        async ([routes, shuffled], reqs) => {
          const requests = reqs.map(head);
          const a = await winners(objects(routes), requests);
          const b = await winners(objects(shuffled).reverse(), requests);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an incremental sequence of HTTPRoute and GRPCRoute adds, changes and deletes gives the tables of a fresh build', () => {
    // Two listeners on two ports (one with a hostname), routes attached to either or both.
    const gw = normalizeGateway({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default' },
      spec: {
        gatewayClassName: 'sy',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
          {
            name: 'alt',
            port: 8080,
            protocol: 'HTTP',
            hostname: '*.example.com',
            allowedRoutes: { namespaces: { from: 'All' } },
          },
        ],
      },
    } as KubeObject);
    const ctx: RouteContext = {
      gateways: new Map([[gw.key, gw]]),
      namespaces: new Map(),
      backends: { grants: new Map(), services: undefined },
      dstPrefix: ['svc'],
      ports: undefined,
    };
    const sections = [[{ name: 'gw' }], [{ name: 'gw', sectionName: 'alt' }], [{ name: 'gw', port: 80 }]];
    const arbOp = fc.oneof(
      fc.record({ op: fc.constant('put' as const), route: arbRoute, parent: fc.nat(sections.length - 1) }),
      fc.record({
        op: fc.constant('delete' as const),
        key: fc.constantFrom('default/r1', 'team/r2', 'default/r3', 'team/r4'),
      }),
      fc.record({
        op: fc.constant('putGrpc' as const),
        route: arbGrpcRoute,
        parent: fc.nat(sections.length - 1),
      }),
      fc.record({
        op: fc.constant('deleteGrpc' as const),
        key: fc.constantFrom('default/g1', 'team/g2', 'default/g3'),
      }),
    );
    const grpcCalls = ['/a.S/M', '/a.S/N', '/b.S/M', '/c.S/M'];
    fc.assert(
      fc.property(
        fc.array(arbOp, { minLength: 1, maxLength: 25 }),
        fc.array(arbRequest, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (ops, reqs, batch) => {
          const routes = new Map<string, HttpRouteRecord>();
          const grpcRoutes = new Map<string, GrpcRouteRecord>();
          const incremental = createRouteTables(undefined);
          incremental.refresh(ctx, routes, grpcRoutes, { kind: 'all' });
          let pending = new Set<string>();
          let pendingGrpc = new Set<string>();
          ops.forEach((o, i) => {
            if (o.op === 'put') {
              const record = normalizeHttpRoute(routeObject(o.route, sections[o.parent]!));
              if (!(record instanceof Error)) {
                routes.set(record.key, record);
                pending.add(record.key);
              }
            } else if (o.op === 'putGrpc') {
              const record = normalizeGrpcRoute(grpcRouteObject(o.route, sections[o.parent]!));
              if (!(record instanceof Error)) {
                grpcRoutes.set(record.key, record);
                pendingGrpc.add(record.key);
              }
            } else if (o.op === 'delete') {
              if (routes.delete(o.key)) pending.add(o.key);
            } else if (grpcRoutes.delete(o.key)) pendingGrpc.add(o.key);
            // Changes arrive in bursts of `batch`, as watch events between two rebuilds do.
            if ((i + 1) % batch === 0 || i === ops.length - 1) {
              incremental.refresh(ctx, routes, grpcRoutes, {
                kind: 'some',
                http: pending,
                grpc: pendingGrpc,
              });
              pending = new Set();
              pendingGrpc = new Set();
            }
          });
          const fresh = createRouteTables(undefined);
          fresh.refresh(ctx, routes, grpcRoutes, { kind: 'all' });
          expect(incremental.dump()).toEqual(fresh.dump());
          expect(incremental.size).toBe(fresh.size);
          expect(incremental.grpcSize).toBe(fresh.grpcSize);
          for (const r of reqs.map(head)) {
            for (const port of [undefined, 80, 8080]) {
              const show = (
                e: { route: { key: string }; rule: { index: number }; matchIndex: number } | undefined,
              ) => (e ? `${e.route.key}#${e.rule.index}.${e.matchIndex}` : '-');
              const host = String(r.headers.host);
              const path = r.url.split('?')[0]!;
              expect(show(incremental.http(port)?.match(host, path, r))).toBe(
                show(fresh.http(port)?.match(host, path, r)),
              );
              for (const c of grpcCalls)
                expect(show(incremental.grpc(port)?.match(host, c, r))).toBe(
                  show(fresh.grpc(port)?.match(host, c, r)),
                );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('prefixCandidates lists exactly the PathPrefix values that match, longest first', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'ab', ''), { maxLength: 5 }), (segments) => {
        const path = `/${segments.join('/')}`;
        const candidates = prefixCandidates(path);
        for (let i = 1; i < candidates.length; i++)
          expect(candidates[i]!.length).toBeLessThan(candidates[i - 1]!.length);
        expect(candidates.at(-1)).toBe('/');
        for (const c of candidates) {
          // Element-wise: the candidate is the path or is followed by "/" in it.
          expect(c === '/' || path === c || path.startsWith(`${c}/`)).toBe(true);
        }
      }),
    );
  });
});
