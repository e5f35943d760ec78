import {
  createKubeClient,
  INGRESS_EXTENSIONS_V1BETA1,
  INGRESS_V1,
  type Ingress,
  KubeApiError,
  KubeGoneError,
  KubeTransportError,
  KubeWatchIdleError,
  SERVICE_V1,
  type Service,
  urlConfig,
  type WatchEvent,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, expect, describe as group, it } from 'vitest';
import { service } from './helpers.js';

let api: FakeKubeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const ingress = (ns: string, name: string, host: string): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { namespace: ns, name },
  spec: {
    rules: [
      {
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
});

group('KubeClient against the test API server', () => {
  it('lists with pagination from one snapshot, selectors and namespaces', async () => {
    api = await startFakeKubeApi();
    for (let i = 0; i < 7; i++)
      api.apply(service(i % 2 ? 'a' : 'b', `s${i}`, { tier: i < 4 ? 'front' : 'back' }));
    const client = createKubeClient(urlConfig(api.url));
    const page1 = await client.list(SERVICE_V1, { limit: 3 });
    expect(page1.items).toHaveLength(3);
    expect(page1.metadata.continue).toBeTruthy();
    // A change between pages must not show up: all pages come from the first page's snapshot.
    api.apply(service('a', 'a-late'));
    const page2 = await client.list(SERVICE_V1, { limit: 3, continue: page1.metadata.continue });
    const page3 = await client.list(SERVICE_V1, { limit: 3, continue: page2.metadata.continue });
    expect(page3.metadata.continue).toBeFalsy();
    const all = [...page1.items, ...page2.items, ...page3.items].map((s) => s.metadata.name);
    expect(all.sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    expect(page3.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);

    const full = await client.listAll(SERVICE_V1, { limit: 2 });
    expect(full.items).toHaveLength(8);
    expect(full.metadata.resourceVersion).toBe(api.resourceVersion);
    expect(
      (await client.listAll(SERVICE_V1, { namespace: 'a' })).items.map((s) => s.metadata.name).sort(),
    ).toEqual(['a-late', 's1', 's3', 's5']);
    expect((await client.list(SERVICE_V1, { labelSelector: 'tier=back' })).items).toHaveLength(3);
    expect(
      (await client.list(SERVICE_V1, { labelSelector: 'tier in (front),tier!=back' })).items,
    ).toHaveLength(4);
    expect(
      (await client.list(SERVICE_V1, { fieldSelector: 'metadata.name=s2' })).items.map(
        (s) => s.metadata.namespace,
      ),
    ).toEqual(['b']);
    await client.close();
  });

  it('an expired continue token is a KubeGoneError; listAll restarts and still returns everything', async () => {
    api = await startFakeKubeApi();
    for (let i = 0; i < 5; i++) api.apply(service('default', `s${i}`));
    const client = createKubeClient(urlConfig(api.url));
    const page1 = await client.list(SERVICE_V1, { limit: 2 });
    api.compact();
    await expect(
      client.list(SERVICE_V1, { limit: 2, continue: page1.metadata.continue }),
    ).rejects.toBeInstanceOf(KubeGoneError);
    expect((await client.listAll(SERVICE_V1, { limit: 2 })).items).toHaveLength(5);
    await client.close();
  });

  it('watches: synthetic ADDED, then changes in order; resume from a version replays exactly what followed', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'one'));
    const client = createKubeClient(urlConfig(api.url));
    const list = await client.list(SERVICE_V1);
    const rv = list.metadata.resourceVersion!;
    const two = api.apply(service('default', 'two'));
    api.apply(service('default', 'one', {}, 81));
    api.delete('Service', 'default', 'two');
    const seen: string[] = [];
    const abort = new AbortController();
    for await (const e of client.watch(SERVICE_V1, { resourceVersion: rv, signal: abort.signal })) {
      seen.push(e.kind === 'bookmark' ? 'bookmark' : `${e.kind}:${e.object.metadata.name}`);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['added:two', 'modified:one', 'deleted:two']);
    // Breaking out of the loop closed the stream on the server.
    await api.waitFor(() => api!.activeWatches() === 0);
    // Resuming from "two"'s version skips what came before it.
    const resumed: WatchEvent<Service>[] = [];
    for await (const e of client.watch(SERVICE_V1, { resourceVersion: two.metadata.resourceVersion })) {
      resumed.push(e);
      if (resumed.length === 2) break;
    }
    expect(resumed.map((e) => e.kind)).toEqual(['modified', 'deleted']);
    await client.close();
  });

  it('a watch from a compacted version ends with KubeGoneError (ERROR event and HTTP 410 forms)', async () => {
    for (const goneAs of ['event', 'status'] as const) {
      api = await startFakeKubeApi({ goneAs });
      const first = api.apply(service('default', 'one'));
      api.apply(service('default', 'two'));
      api.compact();
      const client = createKubeClient(urlConfig(api.url));
      const it = client.watch(SERVICE_V1, { resourceVersion: first.metadata.resourceVersion });
      await expect(
        (async () => {
          for await (const _ of it) {
            /* drain */
          }
        })(),
      ).rejects.toBeInstanceOf(KubeGoneError);
      await client.close();
      await api.close();
      api = undefined;
    }
  });

  it('a stream cut in the middle of an event throws KubeTransportError and never yields the half event', async () => {
    api = await startFakeKubeApi();
    const client = createKubeClient(urlConfig(api.url));
    const rv = api.resourceVersion;
    const seen: string[] = [];
    let firstSeen!: () => void;
    const first = new Promise<void>((resolve) => {
      firstSeen = resolve;
    });
    const done = (async () => {
      for await (const e of client.watch(SERVICE_V1, { resourceVersion: rv })) {
        if (e.kind !== 'bookmark') seen.push(e.object.metadata.name!);
        firstSeen();
      }
    })();
    await api.waitFor(() => api!.activeWatches() === 1);
    api.apply(service('default', 'complete'));
    await first;
    api.faults.dropWatchesOnNextEvent();
    api.apply(service('default', 'cut-in-half'));
    await expect(done).rejects.toBeInstanceOf(KubeTransportError);
    expect(seen).not.toContain('cut-in-half');
    await client.close();
  });

  it('a stalled watch ends with KubeWatchIdleError after idleTimeoutMs', async () => {
    api = await startFakeKubeApi();
    const client = createKubeClient(urlConfig(api.url));
    const it = client
      .watch(SERVICE_V1, { resourceVersion: api.resourceVersion, idleTimeoutMs: 200 })
      [Symbol.asyncIterator]();
    const first = it.next();
    await api.waitFor(() => api!.activeWatches() === 1);
    api.faults.stall();
    api.apply(service('default', 'held'));
    await expect(first).rejects.toBeInstanceOf(KubeWatchIdleError);
    api.faults.unstall();
    await client.close();
  });

  it('get returns undefined for 404; other statuses are KubeApiError with the Status reason', async () => {
    api = await startFakeKubeApi();
    api.apply(service('default', 'web'));
    const client = createKubeClient(urlConfig(api.url));
    expect((await client.get(SERVICE_V1, 'default', 'web'))?.spec?.ports?.[0]?.port).toBe(80);
    expect(await client.get(SERVICE_V1, 'default', 'nope')).toBeUndefined();
    api.faults.failNext(1, { status: 503 });
    const err = await client.get(SERVICE_V1, 'default', 'web').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(503);
    await client.close();
  });

  it('writes Ingress status with merge patch and with a resourceVersion-checked replace', async () => {
    api = await startFakeKubeApi();
    api.apply(ingress('default', 'web', 'example.com'));
    const client = createKubeClient(urlConfig(api.url));
    const patched = await client.patchStatus(INGRESS_V1, 'default', 'web', {
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
    });
    expect(patched.status?.loadBalancer?.ingress).toEqual([{ ip: '203.0.113.7' }]);
    expect(patched.spec?.rules?.[0]?.host).toBe('example.com');
    const stale = { ...patched, metadata: { ...patched.metadata, resourceVersion: '1' } };
    const conflict = await client.replaceStatus(INGRESS_V1, stale).catch((e: unknown) => e);
    expect((conflict as KubeApiError).status).toBe(409);
    expect((conflict as KubeApiError).reason).toBe('Conflict');
    const replaced = await client.replaceStatus(INGRESS_V1, {
      ...patched,
      status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } },
    });
    expect(api.get<Ingress>('Ingress', 'default', 'web')?.status?.loadBalancer?.ingress).toEqual([
      { hostname: 'lb.example.com' },
    ]);
    expect(replaced.metadata.resourceVersion).toBe(api.resourceVersion);
  });

  it('serves Ingress at extensions/v1beta1 in the old shape, converted from v1', async () => {
    api = await startFakeKubeApi();
    api.apply(ingress('default', 'web', 'example.com'));
    const client = createKubeClient(urlConfig(api.url));
    const [old] = (await client.list(INGRESS_EXTENSIONS_V1BETA1)).items;
    expect(old?.apiVersion).toBe('extensions/v1beta1');
    expect(old?.spec?.rules?.[0]?.http?.paths[0]?.backend).toEqual({ serviceName: 'web', servicePort: 80 });
    await client.close();
  });
});
