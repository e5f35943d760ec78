/**
 * Informers relayed between two ends of a message channel (a real `MessageChannel`, structured
 * clone as over the cluster IPC channel) against the test API server: receivers on two "workers"
 * share the source's one watch, get a snapshot then deltas, see what a real informer's consumer
 * sees, and a receiver that comes later (a restarted worker) gets the current state.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  createKubeClient,
  type InformerRelayMessage,
  type KubeClient,
  type RelayPort,
  relayedInformers,
  SERVICE_V1,
  serveRelayedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, expect, it } from 'vitest';
import { describe, names, record, service, until } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function portOf(port: MessagePort, sent?: InformerRelayMessage[]): RelayPort {
  return {
    send: (message) => {
      sent?.push(message);
      port.postMessage(message);
    },
    onMessage: (listener) => {
      port.on('message', listener);
      return () => {
        port.off('message', listener);
      };
    },
  };
}

/** A source and a receiver joined by a MessageChannel; returns the receiver's informers. */
function pair(
  server: ReturnType<typeof serveRelayedInformers>,
  api: FakeKubeApi,
  sent?: InformerRelayMessage[],
) {
  const { port1, port2 } = new MessageChannel();
  const detach = server.attach(portOf(port1));
  const informers = relayedInformers(portOf(port2, sent), urlConfig(api.url));
  const close = () => {
    informers.close();
    detach();
    port1.close();
    port2.close();
  };
  cleanups.push(close);
  return { informers, close };
}

it('two receivers share one watch: snapshot, then deltas, as a real informer delivers them', async () => {
  const api = await startFakeKubeApi();
  cleanups.push(() => api.close());
  api.apply(service('a', 'one'));
  const server = serveRelayedInformers();
  cleanups.push(() => server.close());
  const sent: InformerRelayMessage[] = [];
  const first = pair(server, api, sent);
  const second = pair(server, api);
  const a = first.informers.acquire(SERVICE_V1, { namespace: 'a' });
  const aAgain = first.informers.acquire(SERVICE_V1, { namespace: 'a' });
  const b = second.informers.acquire(SERVICE_V1, { namespace: 'a' });
  await Promise.all([a.synced, b.synced]);
  // One acquire message for two leases of the same resource + selector; one watch on the server.
  expect(sent.map((m) => m.op)).toEqual(['acquire']);
  await api.waitFor(() => api.activeWatches('/api/v1/namespaces/a/services') === 1);
  expect(api.activeWatches()).toBe(1);
  expect(server.size).toBe(1);
  expect(names(a.snapshot())).toEqual(['a/one']);
  expect(b.get('a', 'one')?.metadata.name).toBe('one');

  // What a consumer sees: the replay, then each change, in order, with `previous` on modified.
  const events = record(b);
  let previousPort: number | undefined;
  b.subscribe((e) => {
    if (e.kind === 'modified') previousPort = e.previous.spec?.ports?.[0]?.port;
  });
  api.apply(service('a', 'two'));
  api.apply(service('a', 'one', {}, 81));
  api.delete('Service', 'a', 'two');
  await until(b, () => b.get('a', 'two') === undefined && b.get('a', 'one')?.spec?.ports?.[0]?.port === 81);
  expect(describe(events)).toEqual([
    'added:a/one@80',
    'synced',
    'added:a/two@80',
    'modified:a/one@81',
    'deleted:a/two@80',
  ]);
  expect(previousPort).toBe(80);
  expect(b.resourceVersion).toBe(api.resourceVersion);

  // Releasing every lease of a receiver sends one release; the watch stays for the other.
  a.release();
  aAgain.release();
  expect(sent.map((m) => m.op)).toEqual(['acquire', 'release']);
  await new Promise((r) => setTimeout(r, 20));
  expect(api.activeWatches()).toBe(1);
  b.release();
  await api.waitFor(() => api.activeWatches() === 0);
  expect(server.size).toBe(0);
});

it('a receiver that attaches later (a restarted worker) is handed the current state without a new list', async () => {
  const api = await startFakeKubeApi();
  cleanups.push(() => api.close());
  api.apply(service('a', 'one'));
  const client: KubeClient = createKubeClient(urlConfig(api.url));
  cleanups.push(() => client.close());
  // The source's informers are injectable: here one shared set over a client of the test's.
  const server = serveRelayedInformers({ informersFor: () => sharedInformers(client) });
  const first = pair(server, api);
  const lease = first.informers.acquire(SERVICE_V1, {});
  await lease.synced;
  api.apply(service('b', 'two'));
  await until(lease, () => lease.get('b', 'two') !== undefined);
  const lists = api.requests.filter((r) => !r.watch).length;

  const later = pair(server, api);
  const late = later.informers.acquire(SERVICE_V1, {});
  await late.synced;
  expect(names(late.snapshot())).toEqual(['a/one', 'b/two']);
  expect(late.isSynced).toBe(true);
  expect(api.requests.filter((r) => !r.watch).length).toBe(lists);
  // The first receiver going away (a killed worker) leaves the other's informer running.
  first.close();
  api.apply(service('c', 'three'));
  await until(late, () => late.get('c', 'three') !== undefined);
  expect(api.activeWatches()).toBe(1);
});

it('ignores messages of another protocol version', async () => {
  const api = await startFakeKubeApi();
  cleanups.push(() => api.close());
  const server = serveRelayedInformers();
  cleanups.push(() => server.close());
  const { port1, port2 } = new MessageChannel();
  cleanups.push(() => {
    port1.close();
    port2.close();
  });
  cleanups.push(server.attach(portOf(port1)));
  port2.postMessage({
    kind: 'informers',
    v: 2,
    op: 'acquire',
    lease: 1,
    connection: urlConfig(api.url),
    resource: SERVICE_V1,
    selector: {},
  });
  await new Promise((r) => setTimeout(r, 50));
  expect(server.size).toBe(0);
  expect(api.requests).toEqual([]);
});
