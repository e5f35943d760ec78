import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  createInformer,
  createKubeClient,
  INGRESS_V1,
  type Informer,
  type KubeClient,
  SERVICE_V1,
  type Service,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, expect, describe as group, it, vi } from 'vitest';
import { describe, names, record, service, until } from './helpers.js';

let api: FakeKubeApi | undefined;
let client: KubeClient | undefined;
const informers: Informer<Service>[] = [];
afterEach(async () => {
  for (const i of informers.splice(0)) i.stop();
  await client?.close();
  await api?.close();
  api = undefined;
  client = undefined;
});

const fast = { backoff: { initialMs: 5, maxMs: 40 } };

async function setup(options: Parameters<typeof startFakeKubeApi>[0] = {}) {
  api = await startFakeKubeApi(options);
  client = createKubeClient(urlConfig(api.url));
  return { api, client };
}

function inform(c: KubeClient, o: Parameters<typeof createInformer>[2] = {}): Informer<Service> {
  const inf = createInformer(c, SERVICE_V1, { ...fast, ...o });
  informers.push(inf);
  return inf;
}

const watchesOf = (a: FakeKubeApi, path = '/api/v1/services') =>
  a.requests.filter((r) => r.watch && r.path === path);
const listsOf = (a: FakeKubeApi, path = '/api/v1/services') =>
  a.requests.filter((r) => !r.watch && r.path === path);

group('informer', () => {
  it('lists, then follows the watch; the store converges on the server state', async () => {
    const { api, client } = await setup();
    api.apply(service('a', 'one'));
    api.apply(service('b', 'two'));
    const inf = inform(client, { pageSize: 1 });
    const events = record(inf);
    expect(inf.isSynced).toBe(false);
    await inf.synced;
    expect(inf.isSynced).toBe(true);
    expect(listsOf(api)).toHaveLength(2); // two pages of one
    expect(names(inf.snapshot())).toEqual(['a/one', 'b/two']);
    await api.waitFor(() => api.activeWatches() === 1);
    expect(watchesOf(api)[0]?.query).toMatchObject({
      allowWatchBookmarks: 'true',
      resourceVersion: inf.resourceVersion,
    });
    api.apply(service('a', 'three'));
    api.apply(service('a', 'one', {}, 81));
    api.delete('Service', 'b', 'two');
    await until(inf, () => inf.get('b', 'two') === undefined);
    expect(names(inf.snapshot())).toEqual(['a/one', 'a/three']);
    expect(inf.get('a', 'one')?.spec?.ports?.[0]?.port).toBe(81);
    expect(describe(events)).toEqual([
      'added:a/one@80',
      'added:b/two@80',
      'synced',
      'added:a/three@80',
      'modified:a/one@81',
      'deleted:b/two@80',
    ]);
    expect(inf.resourceVersion).toBe(api.resourceVersion);
  });

  it('a stream dropped mid-event resumes from the last version: nothing lost, nothing twice', async () => {
    const { api, client } = await setup();
    api.apply(service('default', 'a'));
    const inf = inform(client);
    const events = record(inf);
    await inf.synced;
    await api.waitFor(() => api.activeWatches() === 1);
    const b = api.apply(service('default', 'b'));
    await until(inf, () => inf.get('default', 'b') !== undefined);
    api.faults.dropWatchesOnNextEvent();
    api.apply(service('default', 'c')); // half-written, then the socket dies
    api.apply(service('default', 'd')); // happens while the client is away
    await until(inf, () => inf.get('default', 'd') !== undefined && inf.get('default', 'c') !== undefined);
    expect(describe(events)).toEqual([
      'added:default/a@80',
      'synced',
      'added:default/b@80',
      'added:default/c@80',
      'added:default/d@80',
    ]);
    const watches = watchesOf(api);
    expect(watches.at(-1)?.query.resourceVersion).toBe(b.metadata.resourceVersion);
    expect(listsOf(api)).toHaveLength(1); // resumed, not relisted
  });

  it('410 after an outage relists and emits only the difference (a delete during the outage is DELETED)', async () => {
    const { api, client } = await setup();
    for (const n of ['a', 'b', 'c']) api.apply(service('default', n));
    const inf = inform(client);
    await inf.synced;
    await api.waitFor(() => api.activeWatches() === 1);
    const events = record(inf);
    events.length = 0;
    const relists: unknown[] = [];
    const onRelist = (m: unknown) => relists.push(m);
    subscribe('switchyard:k8s:relist', onRelist);
    try {
      // Outage: every watch attempt fails, the world moves on, and history is compacted.
      api.faults.failNext(Number.POSITIVE_INFINITY, { match: (r) => r.watch });
      api.faults.dropWatches();
      api.delete('Service', 'default', 'b');
      api.apply(service('default', 'c', {}, 90));
      api.apply(service('default', 'd'));
      api.compact();
      await api.waitFor(() => watchesOf(api).length >= 3);
      expect(names(inf.snapshot())).toEqual(['default/a', 'default/b', 'default/c']); // last known good
      api.faults.failNext(0);
      await until(inf, () => events.some((e) => e.kind === 'synced'));
      expect(describe(events).sort()).toEqual([
        'added:default/d@80',
        'deleted:default/b@80',
        'modified:default/c@90',
        'synced:relist',
      ]);
      expect(events.at(-1)).toMatchObject({ kind: 'synced', relist: true });
      expect(names(inf.snapshot())).toEqual(['default/a', 'default/c', 'default/d']);
      expect(relists).toEqual([
        expect.objectContaining({ reason: 'expired', added: 1, modified: 1, deleted: 1 }),
      ]);
    } finally {
      unsubscribe('switchyard:k8s:relist', onRelist);
    }
  });

  it('bookmarks advance the resourceVersion, so a resume after quiet periods needs no relist', async () => {
    const { api, client } = await setup({ historyLimit: 3 });
    api.apply(service('default', 'a'));
    const inf = inform(client);
    await inf.synced;
    await api.waitFor(() => api.activeWatches('/api/v1/services') === 1);
    // Changes elsewhere push the Service version out of the retained window…
    for (let i = 0; i < 5; i++)
      api.apply({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { namespace: 'x', name: `i${i}` },
      });
    api.bookmark();
    await vi.waitFor(() => expect(inf.resourceVersion).toBe(api.resourceVersion), {
      timeout: 5000,
      interval: 5,
    });
    // …but the bookmark moved us past them, so the resume is within the window.
    api.faults.dropWatches();
    await api.waitFor(() => watchesOf(api).length === 2 && api.activeWatches('/api/v1/services') === 1);
    expect(watchesOf(api)[1]?.query.resourceVersion).toBe(api.resourceVersion);
    api.apply(service('default', 'b'));
    await until(inf, () => inf.get('default', 'b') !== undefined);
    expect(listsOf(api)).toHaveLength(1);
  });

  it('500s back off with jitter and recover; errors never empty the store', async () => {
    const { api, client } = await setup();
    api.apply(service('default', 'a'));
    const errors: { retryInMs: number }[] = [];
    const onError = (m: unknown) => errors.push(m as { retryInMs: number });
    subscribe('switchyard:k8s:watchError', onError);
    try {
      api.faults.failNext(3);
      const inf = inform(client);
      await inf.synced;
      expect(listsOf(api)).toHaveLength(4);
      expect(errors).toHaveLength(3);
      expect(errors.every((e) => e.retryInMs > 0 && e.retryInMs <= 40)).toBe(true);
      expect(inf.lastError).toBeUndefined();
      await api.waitFor(() => api.activeWatches() === 1);
      api.faults.failNext(2);
      api.faults.dropWatches();
      await api.waitFor(() => watchesOf(api).length === 4 && api.activeWatches() === 1);
      expect(names(inf.snapshot())).toEqual(['default/a']);
      api.apply(service('default', 'b'));
      await until(inf, () => inf.get('default', 'b') !== undefined);
    } finally {
      unsubscribe('switchyard:k8s:watchError', onError);
    }
  });

  it('a stream that delivered events before breaking retries with the initial backoff, not a grown one', async () => {
    const { api, client } = await setup();
    const errors: { retryInMs: number }[] = [];
    const onError = (m: unknown) => errors.push(m as { retryInMs: number });
    subscribe('switchyard:k8s:watchError', onError);
    try {
      // random() = 0: every delay is exactly half of d, so the attempt number is visible.
      const inf = inform(client, { random: () => 0, backoff: { initialMs: 8, maxMs: 1000 } });
      await inf.synced;
      for (const [i, name] of ['a', 'b', 'c'].entries()) {
        await api.waitFor(() => api.activeWatches() === 1);
        api.apply(service('default', name));
        await until(inf, () => inf.get('default', name) !== undefined);
        api.faults.dropWatches();
        await vi.waitFor(() => expect(errors).toHaveLength(i + 1), { timeout: 8000 });
      }
      expect(errors.map((e) => e.retryInMs)).toEqual([4, 4, 4]);
    } finally {
      unsubscribe('switchyard:k8s:watchError', onError);
    }
  });

  it('renews the watch after the server-side timeout, from the last version', async () => {
    const { api, client } = await setup();
    const inf = inform(client, { watchTimeoutSeconds: 1 });
    await inf.synced;
    api.apply(service('default', 'a'));
    await until(inf, () => inf.get('default', 'a') !== undefined);
    await api.waitFor(() => watchesOf(api).length === 2);
    expect(watchesOf(api)[0]?.query.timeoutSeconds).toBe('1');
    expect(watchesOf(api)[1]?.query.resourceVersion).toBe(inf.get('default', 'a')?.metadata.resourceVersion);
    api.apply(service('default', 'b'));
    await until(inf, () => inf.get('default', 'b') !== undefined);
    expect(listsOf(api)).toHaveLength(1);
  });

  it('honours namespace and label selectors; an object leaving the selector is deleted', async () => {
    const { api, client } = await setup();
    api.apply(service('a', 'web', { app: 'web' }));
    api.apply(service('a', 'db', { app: 'db' }));
    api.apply(service('b', 'web', { app: 'web' }));
    const inf = inform(client, { namespace: 'a', labelSelector: 'app=web' });
    await inf.synced;
    expect(names(inf.snapshot())).toEqual(['a/web']);
    await api.waitFor(() => api.activeWatches() === 1);
    api.apply(service('a', 'web', { app: 'other' }));
    await until(inf, () => inf.snapshot().length === 0);
    api.apply(service('a', 'db', { app: 'web' }));
    await until(inf, () => inf.snapshot().length === 1);
    expect(names(inf.snapshot())).toEqual(['a/db']);
  });

  it('shares one list+watch among many consumers; stops when the last lease is released', async () => {
    const { api, client } = await setup();
    api.apply(service('default', 'a'));
    const cache = sharedInformers(client, fast);
    const leases = Array.from({ length: 5 }, () => cache.acquire(SERVICE_V1));
    const other = cache.acquire(SERVICE_V1, { namespace: 'default' });
    await Promise.all([...leases, other].map((l) => l.synced));
    await api.waitFor(() => api.activeWatches() === 2);
    expect(cache.size).toBe(2);
    expect(watchesOf(api)).toHaveLength(1);
    expect(watchesOf(api, '/api/v1/namespaces/default/services')).toHaveLength(1);
    const late = record(leases[4]!); // replay gives a late consumer the same view
    expect(describe(late)).toEqual(['added:default/a@80', 'synced']);
    for (const l of leases.slice(0, 4)) l.release();
    api.apply(service('default', 'b'));
    await until(leases[4]!, () => leases[4]!.get('default', 'b') !== undefined);
    expect(describe(late).at(-1)).toBe('added:default/b@80');
    leases[4]!.release();
    leases[4]!.release();
    await api.waitFor(() => api.activeWatches('/api/v1/services') === 0);
    expect(cache.size).toBe(1);
    other.release();
    await api.waitFor(() => api.activeWatches() === 0);
    expect(cache.size).toBe(0);
    // A new lease after the last release starts a fresh informer.
    const again = cache.acquire(SERVICE_V1);
    await again.synced;
    expect(names(again.snapshot())).toEqual(['default/a', 'default/b']);
    cache.close();
  });

  it('informs on other resources (Ingress v1) the same way', async () => {
    const { api, client } = await setup();
    const inf = createInformer(client, INGRESS_V1, fast);
    await inf.synced;
    api.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace: 'n', name: 'i' },
    });
    await until(inf, () => inf.snapshot().length === 1);
    inf.stop();
  });
});
