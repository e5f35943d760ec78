/**
 * The compatibility table of docs/kubernetes.md, row by row, for every Kubernetes minor it names
 * (1.29–1.34): the test API server reports that version and the client does what the table says
 * against it — Ingress/EndpointSlice/Lease at v1 (informers list and follow watches, the elector
 * writes Leases), continue tokens and 410 Expired, bookmarks, 429 + Retry-After retried, a 504
 * "Too large resource version" relisted, old Ingress versions served unless disabled, and
 * aggregated discovery v2 (and v2beta1) by Accept.
 */
import {
  createInformer,
  createKubeClient,
  createLeaderElector,
  ENDPOINT_SLICE_V1,
  INGRESS_EXTENSIONS_V1BETA1,
  INGRESS_V1,
  type KubeApiError,
  type KubeClient,
  KubeGoneError,
  type Lease,
  SERVICE_V1,
  urlConfig,
} from '@switchyard/k8s';
import {
  eventually,
  type FakeKubeApi,
  kubeEndpointSlice,
  kubeService,
  startFakeKubeApi,
} from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const MINORS = [29, 30, 31, 32, 33, 34];
const fast = { backoff: { initialMs: 5, maxMs: 40 } };

let api: FakeKubeApi | undefined;
let client: KubeClient | undefined;
afterEach(async () => {
  await client?.close();
  await api?.close();
  client = api = undefined;
});

async function start(
  minor: number,
  disabled: string[] = [],
): Promise<{ api: FakeKubeApi; client: KubeClient }> {
  api = await startFakeKubeApi({ kubernetesVersion: `1.${minor}`, disabled });
  client = createKubeClient(urlConfig(api.url), { retry: { backoff: { initialMs: 1, maxMs: 5 } } });
  return { api, client };
}

const ingress = (name: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { namespace: 'default', name },
  spec: { defaultBackend: { service: { name: 'web', port: { name: 'http' } } } },
});

describe.each(MINORS)('Kubernetes 1.%i API behaviour', (minor) => {
  it('reports the version; v1 Ingress, EndpointSlice and Lease: informers list and follow, the elector writes', async () => {
    const { api, client } = await start(minor);
    const version = (await (await fetch(`${api.url}/version`)).json()) as { major: string; minor: string };
    expect(version).toMatchObject({ major: '1', minor: String(minor) });
    api.apply(ingress('a'));
    api.apply(kubeEndpointSlice('default', 'web', ['10.0.0.1'], 8080));
    const ingresses = createInformer(client, INGRESS_V1, fast);
    const slices = createInformer(client, ENDPOINT_SLICE_V1, fast);
    try {
      await Promise.all([ingresses.synced, slices.synced]);
      expect(ingresses.snapshot().map((i) => i.metadata.name)).toEqual(['a']);
      api.apply(ingress('b'));
      api.apply(kubeEndpointSlice('default', 'web', ['10.0.0.2'], 8080));
      await eventually(
        () =>
          ingresses.snapshot().length === 2 &&
          slices.snapshot()[0]?.endpoints?.[0]?.addresses[0] === '10.0.0.2',
        { what: 'informers follow the watch' },
      );
    } finally {
      ingresses.stop();
      slices.stop();
    }
    const elector = createLeaderElector({ client, namespace: 'default', name: 'compat', identity: 'me' });
    try {
      await eventually(() => elector.isLeader(), { what: 'leadership' });
      expect(api.get<Lease>('Lease', 'default', 'compat')?.spec?.holderIdentity).toBe('me');
    } finally {
      await elector.close();
    }
  });

  it('paging with continue tokens, 410 Expired after compaction, and bookmarks', async () => {
    const { api, client } = await start(minor);
    for (const n of ['a', 'b', 'c']) api.apply(kubeService('default', n));
    const first = await client.list(SERVICE_V1, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    api.compact();
    const expired = await client
      .list(SERVICE_V1, { limit: 2, continue: first.metadata.continue })
      .catch((e) => e);
    expect(expired).toBeInstanceOf(KubeGoneError);
    const rv = (await client.list(SERVICE_V1)).metadata.resourceVersion!;
    const events: string[] = [];
    const ac = new AbortController();
    const done = (async () => {
      for await (const e of client.watch(SERVICE_V1, {
        resourceVersion: rv,
        allowWatchBookmarks: true,
        signal: ac.signal,
      })) {
        events.push(e.kind);
        if (e.kind === 'bookmark') break;
      }
    })();
    await api.waitFor(() => api.activeWatches() === 1);
    api.bookmark();
    await done;
    expect(events).toEqual(['bookmark']);
  });

  it('429 with Retry-After is retried; a 504 "Too large resource version" makes an informer relist', async () => {
    const { api, client } = await start(minor);
    api.apply(kubeService('default', 'web'));
    api.faults.throttleNext(1, { retryAfterSeconds: 0 });
    expect((await client.list(SERVICE_V1)).items).toHaveLength(1);
    const inf = createInformer(client, SERVICE_V1, fast);
    try {
      await inf.synced;
      const lists = () => api.requests.filter((r) => !r.watch && r.path === '/api/v1/services').length;
      const before = lists();
      api.faults.failNext(1, {
        status: 504,
        match: (r) => r.watch,
        body: {
          reason: 'Timeout',
          message: 'Too large resource version: 999999, current: 1',
          details: {
            causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
            retryAfterSeconds: 1,
          },
        },
      });
      api.faults.dropWatches();
      await eventually(() => lists() > before, { what: 'a relist' });
    } finally {
      inf.stop();
    }
  });

  it('old Ingress versions are served unless disabled; aggregated discovery v2 and v2beta1 by Accept', async () => {
    const { api, client } = await start(minor);
    api.apply(ingress('a'));
    expect((await client.list(INGRESS_EXTENSIONS_V1BETA1)).items).toHaveLength(1);
    await client.close();
    await api.close();
    const gone = await start(minor, ['extensions/v1beta1/ingresses']);
    const err = await gone.client.list(INGRESS_EXTENSIONS_V1BETA1).catch((e) => e);
    expect((err as KubeApiError).status).toBe(404);
    for (const v of ['v2', 'v2beta1']) {
      const res = await fetch(`${gone.api.url}/apis`, {
        headers: { accept: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList` },
      });
      expect(((await res.json()) as { apiVersion: string }).apiVersion).toBe(`apidiscovery.k8s.io/${v}`);
    }
  });
});
