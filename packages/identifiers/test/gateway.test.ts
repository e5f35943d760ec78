/**
 * io.l5d.httproute against the testkit's Kubernetes API server (real sockets): objects watched
 * through the shared informers (created, changed, deleted), a cluster without the Gateway API
 * CRDs, and the status writer (leader-gated, idempotent, keeping other controllers' entries).
 */
import { type RequestHead, systemClock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { Gateway, GatewayClass, HTTPRoute, KubeClient } from '@switchyard/k8s';
import { createKubeClient, HTTP_ROUTE_V1, urlConfig } from '@switchyard/k8s';
import { eventually, type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  type HttpRouteIdentifier,
  httpRouteParents,
  startGatewayStatusWriter,
} from '../src/gateway.js';

let api: FakeKubeApi;
let client: KubeClient;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(disabled: string[] = []): Promise<void> {
  api = await startFakeKubeApi({ disabled });
  client = createKubeClient(urlConfig(api.url));
  cleanups.push(() => api.close());
  cleanups.push(() => client.close());
}

function identifier(): HttpRouteIdentifier {
  const id = createHttpRouteIdentifier({ source: { kind: 'kubernetes', client } });
  cleanups.push(() => id.close());
  return id;
}

function req(host: string, url = '/'): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: { host },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

async function name(id: HttpRouteIdentifier, host: string, url = '/'): Promise<string> {
  const r = await id(req(host, url));
  return r.kind === 'unidentified' ? `${r.status}` : Path.show(r.path);
}

/** Waits until `cond` holds (testkit's `eventually`, 5 s, every 5 ms). */
const until = (cond: () => boolean | Promise<boolean>): Promise<unknown> => eventually(cond);

const G = 'gateway.networking.k8s.io/v1';
const klass = (): GatewayClass => ({
  apiVersion: G,
  kind: 'GatewayClass',
  metadata: { name: 'sy' },
  spec: { controllerName: DEFAULT_GATEWAY_CONTROLLER },
});
const gateway = (): Gateway => ({
  apiVersion: G,
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'default' },
  spec: {
    gatewayClassName: 'sy',
    listeners: [
      { name: 'http', port: 80, protocol: 'HTTP' },
      { name: 'tcp', port: 9000, protocol: 'TCP' },
    ],
  },
});
const route = (backend: string, extra: Partial<HTTPRoute['spec']> = {}): HTTPRoute => ({
  apiVersion: G,
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'default' },
  spec: {
    parentRefs: [{ name: 'gw' }],
    hostnames: ['app.test'],
    rules: [{ backendRefs: [{ name: backend, port: 80 }] }],
    ...extra,
  },
});

const service = (svcName: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: svcName, namespace: 'default' },
  spec: { ports: [{ port: 80 }] },
});

describe('io.l5d.httproute from the Kubernetes API', () => {
  it('follows GatewayClasses, Gateways and HTTPRoutes as they are created, changed and deleted', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply(service('v1'));
    api.apply(service('v2'));
    const id = identifier();
    await id.synced;
    expect(await name(id, 'app.test')).toBe('404');
    api.apply(route('v1'));
    await until(async () => (await name(id, 'app.test')) === '/svc/default/80/v1');
    api.apply(route('v2'));
    await until(async () => (await name(id, 'app.test')) === '/svc/default/80/v2');
    // The class changes hands: the Gateway is no longer ours.
    api.apply({ ...klass(), spec: { controllerName: 'example.com/other' } });
    await until(async () => (await name(id, 'app.test')) === '404');
    api.apply(klass());
    await until(async () => (await name(id, 'app.test')) === '/svc/default/80/v2');
    api.delete('HTTPRoute', 'default', 'r');
    await until(async () => (await name(id, 'app.test')) === '404');
  });

  it('a backend Service that does not exist is BackendNotFound: 500 and ResolvedRefs False until it is created', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply(route('missing'));
    const id = identifier();
    await id.synced;
    const r = await id(req('app.test'));
    expect(r.kind === 'unidentified' && [r.status, r.reason]).toEqual([
      500,
      'HTTPRoute default/r rule 0: invalid backends (Service default/missing: BackendNotFound)',
    ]);
    const resolvedRefs = () =>
      httpRouteParents(
        id.state(),
        'default/r',
        DEFAULT_GATEWAY_CONTROLLER,
        new Date(0).toISOString(),
      )[0]?.conditions.find((c) => c.type === 'ResolvedRefs');
    expect(resolvedRefs()).toMatchObject({ status: 'False', reason: 'BackendNotFound' });
    api.apply(service('missing'));
    await until(async () => (await name(id, 'app.test')) === '/svc/default/80/missing');
    expect(resolvedRefs()).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    api.delete('Service', 'default', 'missing');
    await until(async () => (await name(id, 'app.test')) === '500');
  });

  it('a status-only change (our own write coming back) does not rebuild the routing table', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply(service('v1'));
    api.apply(route('v1'));
    const id = identifier();
    await id.synced;
    let rebuilds = 0;
    id.onChange(() => rebuilds++);
    await client.patchStatus(HTTP_ROUTE_V1, 'default', 'r', {
      status: { parents: [{ parentRef: { name: 'gw' }, controllerName: 'example.com/x', conditions: [] }] },
    });
    await until(() => (id.state().objects.get('HTTPRoute default/r') as HTTPRoute).status !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(rebuilds).toBe(0);
    expect(await name(id, 'app.test')).toBe('/svc/default/80/v1');
    api.apply(route('v1', { hostnames: ['other.test'] }));
    await until(() => rebuilds === 1);
    expect(await name(id, 'other.test')).toBe('/svc/default/80/v1');
  });

  it('after route, Service, ReferenceGrant and Gateway changes, the per-route updated tables equal a fresh build', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply(service('v1'));
    const named = (n: string, backend: string, namespace = 'default', hostnames = [`${n}.test`]) =>
      ({
        ...route(backend, { hostnames, parentRefs: [{ name: 'gw', namespace: 'default' }] }),
        metadata: { name: n, namespace },
      }) as HTTPRoute;
    api.apply(named('a', 'v1'));
    api.apply(named('b', 'late'));
    api.apply({
      ...named('c', 'v1', 'other'),
      spec: {
        ...named('c', 'v1', 'other').spec,
        rules: [{ backendRefs: [{ name: 'v1', namespace: 'default', port: 80 }] }],
      },
    } as HTTPRoute);
    api.apply(named('d', 'v1'));
    api.apply({
      ...gateway(),
      spec: {
        ...gateway().spec,
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    } as Gateway);
    const id = identifier();
    await id.synced;
    let rebuilds = 0;
    id.onChange(() => rebuilds++);
    const fresh = async (): Promise<string[]> => {
      const other = createHttpRouteIdentifier({ source: { kind: 'kubernetes', client } });
      await other.synced;
      const dump = other.dump();
      other.close();
      return dump;
    };
    const settled = async (check: () => Promise<boolean>) => {
      await until(check);
      expect(id.dump()).toEqual(await fresh());
    };
    expect(await name(id, 'b.test')).toBe('500');
    expect(await name(id, 'c.test')).toBe('500'); // cross-namespace without a ReferenceGrant
    // A Service appears: only the route naming it changes.
    api.apply(service('late'));
    await settled(async () => (await name(id, 'b.test')) === '/svc/default/80/late');
    // A route changes its hostnames, another goes.
    api.apply(named('a', 'v1', 'default', ['a2.test']));
    api.delete('HTTPRoute', 'default', 'd');
    await settled(
      async () =>
        (await name(id, 'a2.test')) === '/svc/default/80/v1' && (await name(id, 'd.test')) === '404',
    );
    expect(await name(id, 'a.test')).toBe('404');
    // A ReferenceGrant and a Gateway change reach every route.
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'default' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'other' }],
        to: [{ group: '', kind: 'Service' }],
      },
    });
    await settled(async () => (await name(id, 'c.test')) === '/svc/default/80/v1');
    api.apply({
      ...gateway(),
      spec: {
        ...gateway().spec,
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP', hostname: 'b.test' }],
      },
    } as Gateway);
    await settled(async () => (await name(id, 'c.test')) === '404');
    expect(await name(id, 'b.test')).toBe('/svc/default/80/late');
    api.delete('Service', 'default', 'late');
    await settled(async () => (await name(id, 'b.test')) === '500');
    expect(rebuilds).toBeGreaterThanOrEqual(5);
  });

  it('syncs (and serves nothing) on a cluster without the Gateway API CRDs', async () => {
    await setup([
      'gateway.networking.k8s.io/v1/gatewayclasses',
      'gateway.networking.k8s.io/v1/gateways',
      'gateway.networking.k8s.io/v1/httproutes',
      'gateway.networking.k8s.io/v1beta1/referencegrants',
    ]);
    const id = identifier();
    await id.synced;
    expect(await name(id, 'app.test')).toBe('404');
  });
});

describe('Gateway API status writer', () => {
  it('watches GRPCRoutes and writes their status (and the listener count of both kinds) as leader', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply(service('v1'));
    api.apply(route('v1'));
    const grpcRoute = (backend: string) =>
      ({
        apiVersion: G,
        kind: 'GRPCRoute',
        metadata: { name: 'g', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          hostnames: ['app.test'],
          rules: [
            { matches: [{ method: { service: 'echo.Echo' } }], backendRefs: [{ name: backend, port: 9000 }] },
          ],
        },
      }) as unknown as HTTPRoute;
    api.apply(grpcRoute('missing'));
    const id = identifier();
    await id.synced;
    const call: RequestHead = {
      ...req('app.test', '/echo.Echo/Say'),
      headers: { host: 'app.test', 'content-type': 'application/grpc' },
    };
    const named = async () => {
      const r = await id(call);
      return r.kind === 'unidentified' ? `${r.status}` : Path.show(r.path);
    };
    expect(await named()).toBe('500'); // BackendNotFound
    api.apply(service('v1'));
    api.apply(grpcRoute('v1'));
    await until(async () => (await named()) === '/svc/default/9000/v1');
    const writer = startGatewayStatusWriter({
      identifier: id,
      client,
      isLeader: () => true,
      controllerName: DEFAULT_GATEWAY_CONTROLLER,
      clock: systemClock,
    });
    cleanups.push(() => writer.stop());
    await writer.reconcile();
    const g = api.get<HTTPRoute>('GRPCRoute', 'default', 'g')!;
    expect(
      g.status?.parents?.map((p) => p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)),
    ).toEqual([['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']]);
    const gw = api.get<Gateway>('Gateway', 'default', 'gw')!;
    const listener = gw.status?.listeners?.find((l) => l.name === 'http');
    expect(listener?.attachedRoutes).toBe(2);
    expect(listener?.supportedKinds?.map((k) => k.kind)).toEqual(['HTTPRoute', 'GRPCRoute']);
    api.delete('GRPCRoute', 'default', 'g');
    await until(async () => (await name(id, 'app.test', '/echo.Echo/Say')) === '/svc/default/80/v1');
  });

  it('writes class, Gateway, listener and route status only while leader, once, keeping other controllers', async () => {
    await setup();
    api.apply(klass());
    api.apply(gateway());
    api.apply({
      ...route('v1', {
        rules: [
          { backendRefs: [{ name: 'v1', port: 80 }] },
          { backendRefs: [{ name: 'far', namespace: 'other', port: 80 }] },
        ],
        parentRefs: [{ name: 'gw' }, { name: 'elsewhere', namespace: 'default' }],
      }),
      status: {
        parents: [
          {
            parentRef: { name: 'elsewhere', namespace: 'default' },
            controllerName: 'example.com/other',
            conditions: [
              {
                type: 'Accepted',
                status: 'True',
                reason: 'Accepted',
                lastTransitionTime: '2020-01-01T00:00:00Z',
              },
            ],
          },
        ],
      },
    } as HTTPRoute);
    const id = identifier();
    await id.synced;
    let leader = false;
    const writer = startGatewayStatusWriter({
      identifier: id,
      client,
      isLeader: () => leader,
      controllerName: DEFAULT_GATEWAY_CONTROLLER,
      clock: systemClock,
    });
    cleanups.push(() => writer.stop());
    await writer.reconcile();
    const patches = () => api.requests.filter((r) => r.method === 'PATCH').length;
    expect(patches()).toBe(0);

    leader = true;
    await writer.reconcile();
    expect(patches()).toBe(3);
    const cls = api.get<GatewayClass>('GatewayClass', undefined, 'sy')!;
    expect(cls.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Accepted=True/Accepted',
    ]);
    const gw = api.get<Gateway>('Gateway', 'default', 'gw')!;
    expect(gw.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Accepted=True',
      'Programmed=True',
    ]);
    expect(
      gw.status?.listeners?.map((l) => [
        l.name,
        l.attachedRoutes,
        l.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
      ]),
    ).toEqual([
      ['http', 1, ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed']],
      [
        'tcp',
        0,
        ['Accepted=False/UnsupportedProtocol', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=False/Invalid'],
      ],
    ]);
    const r = api.get<HTTPRoute>('HTTPRoute', 'default', 'r')!;
    expect(
      r.status?.parents?.map((p) => [
        p.controllerName,
        p.parentRef.name,
        p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
      ]),
    ).toEqual([
      ['example.com/other', 'elsewhere', ['Accepted=True/Accepted']],
      [DEFAULT_GATEWAY_CONTROLLER, 'gw', ['Accepted=True/Accepted', 'ResolvedRefs=False/RefNotPermitted']],
    ]);

    // Our writes come back as watch events; nothing more is written once status is right.
    await until(
      () => (id.state().objects.get('HTTPRoute default/r') as HTTPRoute).status?.parents?.length === 2,
    );
    await until(
      () => (id.state().objects.get('Gateway default/gw') as Gateway).status?.listeners !== undefined,
    );
    await writer.reconcile();
    expect(patches()).toBe(3);
  });
});
