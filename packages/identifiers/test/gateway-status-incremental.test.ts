/**
 * The Gateway API status writer recomputes only what a change can affect, against the testkit's
 * Kubernetes API server (real sockets): a route change → that route and its Gateway; a Gateway
 * change → the routes naming it; a ReferenceGrant change → the routes with backends in its
 * namespace. Which statuses were computed is read by counting the writer's look-ups of each
 * route object in the identifier's state; what was written, from the API server.
 */
import { systemClock } from '@switchyard/core';
import type { Gateway, HTTPRoute, KubeClient, KubeObject } from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  type GatewayState,
  type HttpRouteIdentifier,
  startGatewayStatusWriter,
} from '../src/gateway.js';

const G = 'gateway.networking.k8s.io/v1';
const ROUTES = 20;

const gateway = (from: 'All' | 'Same'): Gateway => ({
  apiVersion: G,
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'default' },
  spec: {
    gatewayClassName: 'sy',
    listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from } } }],
  },
});
const route = (i: number, backend = `web-${i}`, backendNamespace?: string): HTTPRoute => ({
  apiVersion: G,
  kind: 'HTTPRoute',
  metadata: { name: `r${i}`, namespace: i < ROUTES / 2 ? 'default' : 'team' },
  spec: {
    parentRefs: [{ name: 'gw', namespace: 'default' }],
    hostnames: [`r${i}.test`],
    rules: [
      {
        backendRefs: [
          { name: backend, port: 80, ...(backendNamespace ? { namespace: backendNamespace } : {}) },
        ],
      },
    ],
  },
});

describe('Gateway API status writer: incremental', () => {
  let api: FakeKubeApi;
  let client: KubeClient;
  let id: HttpRouteIdentifier;
  let stop: () => void;
  /** Route objects (`HTTPRoute ns/name`) the writer looked up, since the last reset. */
  const looked: string[] = [];

  const parentsOf = (ns: string, name: string) =>
    api
      .get<HTTPRoute>('HTTPRoute', ns, name)
      ?.status?.parents?.flatMap((p) => p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)) ?? [];
  const attached = () => api.get<Gateway>('Gateway', 'default', 'gw')?.status?.listeners?.[0]?.attachedRoutes;
  async function until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('until: condition not met in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** Lets the writer finish what a change started (its own writes come back as watch events). */
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    api = await startFakeKubeApi();
    client = createKubeClient(urlConfig(api.url));
    for (const name of ['default', 'team', 'shared'])
      api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
    api.apply({
      apiVersion: G,
      kind: 'GatewayClass',
      metadata: { name: 'sy' },
      spec: { controllerName: DEFAULT_GATEWAY_CONTROLLER },
    } as KubeObject);
    api.apply(gateway('All'));
    for (let i = 0; i < ROUTES; i++) {
      const r = route(i);
      api.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `web-${i}`, namespace: r.metadata.namespace },
        spec: { ports: [{ port: 80 }] },
      } as KubeObject);
      api.apply(r);
    }
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'far', namespace: 'shared' },
      spec: { ports: [{ port: 80 }] },
    } as KubeObject);
    id = createHttpRouteIdentifier({ source: { kind: 'kubernetes', client } });
    await id.synced;
    // The writer sees the identifier through a view that counts its route look-ups.
    const counted: HttpRouteIdentifier = Object.create(id, {
      state: {
        value: (): GatewayState => {
          const s = id.state();
          const objects = new Map(s.objects);
          const get = objects.get.bind(objects);
          objects.get = (k: string) => {
            if (k.startsWith('HTTPRoute ')) looked.push(k);
            return get(k);
          };
          return { ...s, objects };
        },
      },
    });
    const writer = startGatewayStatusWriter({
      identifier: counted,
      client,
      isLeader: () => true,
      controllerName: DEFAULT_GATEWAY_CONTROLLER,
      clock: systemClock,
    });
    stop = () => writer.stop();
    await writer.reconcile();
    await until(() => attached() === ROUTES && parentsOf('team', 'r19').length === 2);
    await settle();
  }, 30_000);

  afterAll(async () => {
    stop();
    id.close();
    await client.close();
    await api.close();
  });

  it('a route change computes that route (and its Gateway) only, and writes only what changed', async () => {
    looked.length = 0;
    api.apply(route(3, 'missing'));
    await until(() => parentsOf('default', 'r3').includes('ResolvedRefs=False/BackendNotFound'));
    await settle();
    expect(new Set(looked)).toEqual(new Set(['HTTPRoute default/r3']));
    expect(parentsOf('default', 'r4')).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    // Deleted: the Gateway's attachedRoutes follows, no other route is computed.
    looked.length = 0;
    api.delete('HTTPRoute', 'default', 'r3');
    await until(() => attached() === ROUTES - 1);
    await settle();
    expect(looked).toEqual([]);
  });

  it('a Gateway change recomputes the routes naming it', async () => {
    looked.length = 0;
    api.apply(gateway('Same'));
    await until(() => parentsOf('team', 'r15').includes('Accepted=False/NotAllowedByListeners'));
    expect(parentsOf('default', 'r4')).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    await until(() => attached() === ROUTES / 2 - 1);
    api.apply(gateway('All'));
    await until(() => parentsOf('team', 'r15').includes('Accepted=True/Accepted'));
    await until(() => attached() === ROUTES - 1);
  });

  it('a ReferenceGrant change recomputes the routes with backends in its namespace', async () => {
    api.apply(route(12, 'far', 'shared'));
    await until(() => parentsOf('team', 'r12').includes('ResolvedRefs=False/RefNotPermitted'));
    await settle();
    looked.length = 0;
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'shared' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team' }],
        to: [{ group: '', kind: 'Service' }],
      },
    } as KubeObject);
    await until(() => parentsOf('team', 'r12').includes('ResolvedRefs=True/ResolvedRefs'));
    await settle();
    expect(new Set(looked)).toEqual(new Set(['HTTPRoute team/r12']));
  });
});
