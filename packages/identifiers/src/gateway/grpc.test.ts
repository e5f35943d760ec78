/**
 * GRPCRoute matching over `/package.Service/Method` and headers: the CRD's defaults and checks,
 * Exact and RegularExpression service/method matches, headers, the spec's precedence (with a
 * property: the winner does not depend on the order routes are listed), attachment through
 * parentRefs and allowedRoutes kinds, and backends named as HTTPRoute backends.
 */
import { Dtab, Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayProblemError } from './errors.js';
import { type GrpcRouteRecord, normalizeGrpcRoute, splitGrpcPath } from './grpc.js';
import { requestHostname } from './hostnames.js';
import { type GatewayRecord, normalizeGateway } from './model.js';
import { compileGrpcRoutes } from './route-table.js';

const G = 'gateway.networking.k8s.io/v1';

function grpcRoute(
  name: string,
  spec: Record<string, unknown>,
  o: { ns?: string; created?: string } = {},
): KubeObject {
  return {
    apiVersion: G,
    kind: 'GRPCRoute',
    metadata: { name, namespace: o.ns ?? 'default', creationTimestamp: o.created ?? '2024-01-01T00:00:00Z' },
    spec: { parentRefs: [{ name: 'gw', namespace: 'default' }], ...spec },
  } as KubeObject;
}

function gatewayOf(listeners: Record<string, unknown>[]): Map<string, GatewayRecord> {
  const g = normalizeGateway({
    apiVersion: G,
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'default' },
    spec: { gatewayClassName: 'sy', listeners },
  } as KubeObject);
  return new Map([[g.key, g]]);
}

const http = [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }];

function record(o: KubeObject): GrpcRouteRecord {
  const r = normalizeGrpcRoute(o);
  if (r instanceof GatewayProblemError) throw r;
  return r;
}

function table(objects: KubeObject[], listeners: Record<string, unknown>[] = http) {
  return compileGrpcRoutes({
    routes: objects.map(record),
    gateways: gatewayOf(listeners),
    namespaces: new Map(),
    dstPrefix: ['svc'],
    backends: { grants: new Map(), services: undefined },
  });
}

function call(
  t: ReturnType<typeof table>,
  path: string,
  headers: Record<string, string> = {},
  host = 'grpc.example.com',
) {
  const e = t.index.match(requestHostname(host), path, { headers: { host, ...headers } });
  if (e === undefined) return 'none';
  return e.target.kind === 'error' ? `500 ${e.target.reason}` : Path.show(e.target.path);
}

const to = (svc: string, extra: Record<string, unknown> = {}) => ({ name: svc, port: 50051, ...extra });

describe('GRPCRoute request paths', () => {
  it('splits /package.Service/Method and rejects anything else', () => {
    expect(splitGrpcPath('/helloworld.Greeter/SayHello')).toEqual({
      service: 'helloworld.Greeter',
      method: 'SayHello',
    });
    for (const bad of ['/', '//m', '/s/', '/s', 's/m', '/s/m/x', '/s/m/'])
      expect(splitGrpcPath(bad), bad).toBeUndefined();
  });
});

describe('GRPCRoute normalization', () => {
  it('defaults: no rules or no matches is every call; method match type Exact; weight 1', () => {
    const r = record(
      grpcRoute('r', { rules: [{ matches: [{ method: { service: 'a.B' } }], backendRefs: [to('s')] }] }),
    );
    expect(r.rules[0]?.matches[0]?.service).toEqual({ type: 'Exact', value: 'a.B' });
    expect(r.rules[0]?.backendRefs[0]?.weight).toBe(1);
    const all = record(grpcRoute('all', {}));
    expect(all.rules).toHaveLength(1);
    expect(all.rules[0]?.matches[0]).toEqual({ service: undefined, method: undefined, headers: [] });
  });

  it('rejects what the CRD rejects, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ method: {} }, 'spec.rules[0].matches[0].method'],
      [{ method: { service: 'not valid!' } }, 'spec.rules[0].matches[0].method.service'],
      [{ method: { method: '1bad' } }, 'spec.rules[0].matches[0].method.method'],
      [{ method: { type: 'RegularExpression', service: '(' } }, 'spec.rules[0].matches[0].method.service'],
      [{ method: { type: 'Prefix', service: 'a' } }, 'spec.rules[0].matches[0].method.type'],
      [{ headers: [{ name: 'bad name', value: 'x' }] }, 'spec.rules[0].matches[0].headers[0].name'],
    ];
    for (const [match, field] of cases) {
      const r = normalizeGrpcRoute(grpcRoute('r', { rules: [{ matches: [match], backendRefs: [to('s')] }] }));
      expect(r instanceof GatewayProblemError && [r.object, r.field]).toEqual(['GRPCRoute default/r', field]);
    }
    const noPort = normalizeGrpcRoute(grpcRoute('r', { rules: [{ backendRefs: [{ name: 's' }] }] }));
    expect(noPort instanceof GatewayProblemError && noPort.field).toBe('spec.rules[0].backendRefs[0].port');
  });
});

describe('GRPCRoute matching', () => {
  it('matches service and method exactly or by full regular expression, with headers', () => {
    const t = table([
      grpcRoute('r', {
        rules: [
          {
            matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' } }],
            backendRefs: [to('exact')],
          },
          { matches: [{ method: { service: 'helloworld.Greeter' } }], backendRefs: [to('service')] },
          { matches: [{ method: { method: 'Check' } }], backendRefs: [to('method')] },
          {
            matches: [{ method: { type: 'RegularExpression', service: 'store\\..*', method: 'Get.*' } }],
            backendRefs: [to('regex')],
          },
          { matches: [{ headers: [{ name: 'X-Canary', value: 'yes' }] }], backendRefs: [to('canary')] },
        ],
      }),
    ]);
    expect(call(t, '/helloworld.Greeter/SayHello')).toBe('/svc/default/50051/exact');
    expect(call(t, '/helloworld.Greeter/SayGoodbye')).toBe('/svc/default/50051/service');
    expect(call(t, '/grpc.health.v1.Health/Check')).toBe('/svc/default/50051/method');
    expect(call(t, '/store.v1.Items/GetItem')).toBe('/svc/default/50051/regex');
    // Full match: "xstore.v1" is not "store\..*"; "ListItems" is not "Get.*".
    expect(call(t, '/xstore.v1/GetItem')).toBe('none');
    expect(call(t, '/store.v1.Items/ListItems')).toBe('none');
    expect(call(t, '/other.Svc/Do', { 'x-canary': 'yes' })).toBe('/svc/default/50051/canary');
    expect(call(t, '/other.Svc/Do', { 'x-canary': 'no' })).toBe('none');
    expect(call(t, '/not-grpc')).toBe('none');
  });

  it('precedence: longer exact service, then method, then headers, then oldest route, then name, then rule', () => {
    const t = table([
      grpcRoute('b', {
        rules: [{ matches: [{ method: { service: 'a.S' } }], backendRefs: [to('b-service')] }],
      }),
      grpcRoute('a', {
        rules: [
          { matches: [{ method: { service: 'a.S', method: 'M' } }], backendRefs: [to('a-both')] },
          {
            matches: [{ method: { service: 'a.S', method: 'M' }, headers: [{ name: 'x', value: '1' }] }],
            backendRefs: [to('a-header')],
          },
        ],
      }),
      grpcRoute(
        'old',
        { rules: [{ matches: [{ method: { service: 'a.T' } }], backendRefs: [to('old')] }] },
        {
          created: '2023-01-01T00:00:00Z',
        },
      ),
      grpcRoute('new', { rules: [{ matches: [{ method: { service: 'a.T' } }], backendRefs: [to('new')] }] }),
      grpcRoute('rx', {
        rules: [
          {
            matches: [{ method: { type: 'RegularExpression', service: 'a\\..*' } }],
            backendRefs: [to('rx')],
          },
        ],
      }),
    ]);
    expect(call(t, '/a.S/M', { x: '1' })).toBe('/svc/default/50051/a-header');
    expect(call(t, '/a.S/M')).toBe('/svc/default/50051/a-both');
    expect(call(t, '/a.S/N')).toBe('/svc/default/50051/b-service');
    expect(call(t, '/a.T/M')).toBe('/svc/default/50051/old');
    expect(call(t, '/a.U/M')).toBe('/svc/default/50051/rx');
  });

  it('hostnames: listener and route intersect, exact beats wildcard, and a route without hostnames takes any', () => {
    const t = table(
      [
        grpcRoute('wild', { hostnames: ['*.example.com'], rules: [{ backendRefs: [to('wild')] }] }),
        grpcRoute('exact', { hostnames: ['grpc.example.com'], rules: [{ backendRefs: [to('exact')] }] }),
        grpcRoute('any', { rules: [{ backendRefs: [to('any')] }] }),
      ],
      [{ name: 'h', port: 80, protocol: 'HTTP' }],
    );
    expect(call(t, '/a.S/M', {}, 'grpc.example.com:443')).toBe('/svc/default/50051/exact');
    expect(call(t, '/a.S/M', {}, 'other.example.com')).toBe('/svc/default/50051/wild');
    expect(call(t, '/a.S/M', {}, '10.0.0.1')).toBe('/svc/default/50051/any');
  });

  it('attaches only where allowedRoutes admits GRPCRoute, and weighted backends become a dtab union', () => {
    const routes = [
      grpcRoute('r', { rules: [{ backendRefs: [to('a', { weight: 3 }), to('b', { weight: 1 })] }] }),
    ];
    const onlyHttp = table(routes, [
      { name: 'h', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] } },
    ]);
    expect(call(onlyHttp, '/a.S/M')).toBe('none');
    expect(onlyHttp.parents.get('default/r')?.[0]?.reason).toBe('NotAllowedByListeners');
    const grpc = table(routes, [
      { name: 'h', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] } },
    ]);
    const e = grpc.index.match('grpc.example.com', '/a.S/M', { headers: {} });
    expect(e?.target.kind === 'route' && Path.show(e.target.path)).toBe('/gw/default/r/0');
    expect(e?.target.kind === 'route' && e.target.dtab && Dtab.show(e.target.dtab)).toBe(
      '/gw/default/r/0=>3.00*/svc/default/50051/a & /svc/default/50051/b',
    );
    const tcp = table(routes, [{ name: 't', port: 80, protocol: 'TCP' }]);
    expect(call(tcp, '/a.S/M')).toBe('none');
  });

  it('cross-namespace backends need a ReferenceGrant from GRPCRoute', () => {
    const r = record(
      grpcRoute('r', { rules: [{ backendRefs: [to('far', { namespace: 'other' })] }] }, { ns: 'default' }),
    );
    const grant = (kind: string) => ({
      key: 'other/g',
      namespace: 'other',
      name: 'g',
      generation: 0,
      created: 0,
      labels: {},
      from: [{ group: G.split('/')[0]!, kind, namespace: 'default' }],
      to: [{ group: '', kind: 'Service', name: undefined }],
    });
    const compile = (kind: string | undefined) =>
      compileGrpcRoutes({
        routes: [r],
        gateways: gatewayOf(http),
        namespaces: new Map(),
        dstPrefix: ['svc'],
        backends: { grants: new Map(kind ? [['other/g', grant(kind)]] : []), services: undefined },
      });
    expect(call(compile(undefined), '/a.S/M')).toMatch(/^500 .*RefNotPermitted/);
    expect(call(compile('HTTPRoute'), '/a.S/M')).toMatch(/^500 .*RefNotPermitted/);
    expect(call(compile('GRPCRoute'), '/a.S/M')).toBe('/svc/other/50051/far');
  });
});

describe('GRPCRoute precedence (property)', () => {
  const SERVICES = ['a.S', 'a.T', 'b.S'];
  const METHODS = ['M', 'N'];
  const arbMatch = fc.record(
    {
      method: fc.oneof(
        fc
          .record(
            { service: fc.constantFrom(...SERVICES), method: fc.constantFrom(...METHODS) },
            { requiredKeys: [] },
          )
          .filter((m) => m.service !== undefined || m.method !== undefined),
        fc.record({ type: fc.constant('RegularExpression'), service: fc.constantFrom('a\\..*', '.*') }),
      ),
      headers: fc.uniqueArray(
        fc.record({ name: fc.constantFrom('x-a', 'x-b'), value: fc.constantFrom('1', '2') }),
        {
          maxLength: 2,
          selector: (h) => h.name,
        },
      ),
    },
    { requiredKeys: [] },
  );
  const arbRoute = fc.record({
    name: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
    created: fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
    hostnames: fc.uniqueArray(fc.constantFrom('a.example.com', '*.example.com'), { maxLength: 2 }),
    rules: fc.array(
      fc.record({ matches: fc.array(arbMatch, { maxLength: 2 }), svc: fc.constantFrom('s1', 's2') }),
      {
        minLength: 1,
        maxLength: 2,
      },
    ),
  });
  const arbCall = fc.record({
    host: fc.constantFrom('a.example.com', 'b.example.com', 'other.org'),
    path: fc.constantFrom(...SERVICES.flatMap((s) => METHODS.map((m) => `/${s}/${m}`))),
    headers: fc.record(
      { 'x-a': fc.constantFrom('1', '2'), 'x-b': fc.constantFrom('1', '2') },
      { requiredKeys: [] },
    ),
  });

  it('the winner does not depend on the order in which routes are listed', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(arbRoute, { minLength: 1, maxLength: 4, selector: (r) => r.name }),
        fc.array(arbCall, { minLength: 1, maxLength: 5 }),
        fc.context(),
        (routes, calls, ctx) => {
          const objects = routes.map((r) =>
            grpcRoute(
              r.name,
              {
                hostnames: r.hostnames,
                rules: r.rules.map((rule) => ({ matches: rule.matches, backendRefs: [to(rule.svc)] })),
              },
              { created: r.created },
            ),
          );
          const forward = table(objects);
          const backward = table([...objects].reverse());
          for (const c of calls) {
            const a = forward.index.match(requestHostname(c.host), c.path, { headers: c.headers });
            const b = backward.index.match(requestHostname(c.host), c.path, { headers: c.headers });
            ctx.log(`${c.host} ${c.path}`);
            expect(b?.route.key).toBe(a?.route.key);
            expect(b?.rule.index).toBe(a?.rule.index);
            expect(b?.matchIndex).toBe(a?.matchIndex);
          }
        },
      ),
    );
  });
});
