/**
 * `@kubernetes/client-node` 1.x (the official JavaScript client) against the test API server:
 * legacy discovery (`/version`, `/api`, `/apis`, APIResourceLists) decoded by its typed models, a
 * typed list and deletecollection, a raw watch, and an informer that must survive a compaction by relisting (its watch
 * ends, the re-watch from the old version gets an ERROR event with code 410, and it lists again).
 */
import {
  ApisApi,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  NetworkingV1Api,
  type V1Service,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import type { KubeObject } from '@switchyard/k8s';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../src/index.js';

let api: FakeKubeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function config(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'test-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test', namespace: 'default' }],
    currentContext: 'test',
  });
  return kc;
}

const svc = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name },
});

async function waitUntil(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('@kubernetes/client-node', () => {
  it('lists with the typed API (bearer token over HTTP is sent by this client)', async () => {
    api = await startFakeKubeApi({ token: 'test-token' });
    api.apply(svc('a'));
    api.apply(svc('b'));
    const core = config(api.url).makeApiClient(CoreV1Api);
    const list = await core.listNamespacedService({ namespace: 'default' });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['a', 'b']);
    expect(list.metadata?.resourceVersion).toBe(api.resourceVersion);
  });

  it('watches: current state as ADDED, then changes', async () => {
    api = await startFakeKubeApi();
    api.apply(svc('a'));
    const seen: string[] = [];
    const watch = new Watch(config(api.url));
    const ac = await watch.watch(
      '/api/v1/namespaces/default/services',
      {},
      (type: string, obj: V1Service) => seen.push(`${type} ${obj.metadata?.name}`),
      () => {},
    );
    await waitUntil(() => seen.length === 1);
    api.apply({ ...svc('a'), metadata: { ...svc('a').metadata, labels: { x: 'y' } } });
    api.delete('Service', 'default', 'a');
    await waitUntil(() => seen.length === 3);
    ac.abort();
    expect(seen).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']);
  });

  it('an informer relists after its resourceVersion is compacted away, and converges', {
    timeout: 20_000,
  }, async () => {
    api = await startFakeKubeApi({ defaultWatchTimeoutSeconds: 1 });
    api.apply(svc('a'));
    const kc = config(api.url);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/namespaces/default/services', () =>
      core.listNamespacedService({ namespace: 'default' }),
    );
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    await waitUntil(() => informer.list().length === 1);
    const lists = () => api!.requests.filter((r) => !r.watch && r.path.endsWith('/services')).length;
    expect(lists()).toBe(1);
    // Changes the informer's watch never delivers: the stream is stalled, then times out.
    api.faults.stall();
    api.apply(svc('b'));
    api.delete('Service', 'default', 'a');
    api.compact();
    await api.waitFor(() => api!.activeWatches() === 0);
    api.faults.unstall();
    await waitUntil(() => lists() === 2);
    await waitUntil(
      () =>
        informer
          .list()
          .map((s) => s.metadata?.name)
          .join() === 'b',
    );
    // Stopping aborts the watch, which client-node reports as an AbortError: judge errors before it.
    expect(errors).toEqual([]);
    await informer.stop();
    const gone = api.requests.filter((r) => r.watch).at(-2);
    expect(Number(gone?.query.resourceVersion)).toBeLessThan(Number(api.resourceVersion));
  });

  it('legacy discovery: /version, /api, /apis and APIResourceLists (verbs, namespaced, kind, shortNames)', async () => {
    api = await startFakeKubeApi({ kubernetesVersion: '1.33' });
    const kc = config(api.url);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect([version.major, version.minor, version.gitVersion]).toEqual([
      '1',
      '33',
      'v1.33.0-switchyard-testkit',
    ]);
    expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const networking = groups.groups.find((g) => g.name === 'networking.k8s.io');
    expect(networking?.preferredVersion?.groupVersion).toBe('networking.k8s.io/v1');
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['discovery.k8s.io', 'coordination.k8s.io', 'gateway.networking.k8s.io']),
    );
    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.resources.find((r) => r.name === 'services')).toMatchObject({
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      verbs: expect.arrayContaining(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete']),
    });
    expect(core.resources.find((r) => r.name === 'namespaces')).toMatchObject({ namespaced: false });
    expect(core.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['services/status', 'endpoints', 'secrets', 'configmaps']),
    );
    const net = await kc.makeApiClient(NetworkingV1Api).getAPIResources();
    expect(net.resources.find((r) => r.name === 'ingresses')).toMatchObject({
      kind: 'Ingress',
      shortNames: ['ing'],
    });
    expect(net.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['ingressclasses', 'ingresses/status']),
    );
  });

  it('deletecollection by label selector deletes only the matching objects', async () => {
    api = await startFakeKubeApi();
    const labelled = (name: string, app: string): KubeObject => ({
      ...svc(name),
      metadata: { namespace: 'default', name, labels: { app } },
    });
    api.apply(labelled('a', 'x'));
    api.apply(labelled('b', 'x'));
    api.apply(labelled('c', 'y'));
    const core = config(api.url).makeApiClient(CoreV1Api);
    await core.deleteCollectionNamespacedService({ namespace: 'default', labelSelector: 'app=x' });
    const left = await core.listNamespacedService({ namespace: 'default' });
    expect(left.items.map((s) => s.metadata?.name)).toEqual(['c']);
  });
});
