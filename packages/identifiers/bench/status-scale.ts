/**
 * The Gateway API status writer at scale: ROUTES HTTPRoutes (default 10 000) over HOSTS
 * hostnames attached to one Gateway, read from a testkit Kubernetes API server (real HTTP on
 * loopback), status written through the status subresource by `startGatewayStatusWriter`.
 * Prints the time of the first full status write, then, for CHANGES (default 10) single route
 * changes (a backend switched to a missing Service, so the route's `ResolvedRefs` changes), the
 * time from the API write until that route's new status is written (median, max), the status
 * computations per change, and how many objects each change wrote. A script, not a test.
 *
 *   pnpm --filter @switchyard/identifiers bench:status   (ROUTES=2000 for a quick run)
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { systemClock } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { startFakeKubeApi } from '@switchyard/testkit';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  GATEWAY_STATUS_CHANNEL,
  startGatewayStatusWriter,
} from '../src/gateway.js';

const N = Number(process.env.ROUTES ?? 10_000);
const HOSTS = Number(process.env.HOSTS ?? 1_000);
const CHANGES = Number(process.env.CHANGES ?? 10);
const G = 'gateway.networking.k8s.io/v1';
const host = (i: number) => `app-${i % HOSTS}.example.com`;
const ns = (i: number) => `ns-${i % 50}`;

function httpRoute(i: number, backend = `web-${i}`): KubeObject {
  return {
    apiVersion: G,
    kind: 'HTTPRoute',
    metadata: { namespace: ns(i), name: `route-${i}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: 'gw', namespace: 'gateway' }],
      hostnames: [host(i)],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/p-${i}` } }],
          backendRefs: [{ name: backend, port: 8080 }],
        },
      ],
    },
  } as unknown as KubeObject;
}

async function main(): Promise<void> {
  const api = await startFakeKubeApi({ historyLimit: N * 8 + 1000 });
  api.apply({
    apiVersion: G,
    kind: 'GatewayClass',
    metadata: { name: 'sy' },
    spec: { controllerName: DEFAULT_GATEWAY_CONTROLLER },
  } as unknown as KubeObject);
  api.apply({
    apiVersion: G,
    kind: 'Gateway',
    metadata: { namespace: 'gateway', name: 'gw' },
    spec: {
      gatewayClassName: 'sy',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      ],
    },
  } as unknown as KubeObject);
  for (let i = 0; i < N; i++) {
    api.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: ns(i), name: `web-${i}` },
      spec: { ports: [{ port: 8080 }] },
    } as unknown as KubeObject);
    api.apply(httpRoute(i));
  }
  const client = createKubeClient(urlConfig(api.url));
  const id = createHttpRouteIdentifier({ source: { kind: 'kubernetes', client } });
  await id.synced;

  const written = new Map<string, number>();
  let writes = 0;
  const onStatus = (m: unknown) => {
    const { object, ok } = m as { object: string; ok: boolean };
    if (!ok) return;
    writes++;
    written.set(object, performance.now());
  };
  subscribe(GATEWAY_STATUS_CHANNEL, onStatus);

  let t0 = performance.now();
  const writer = startGatewayStatusWriter({
    identifier: id,
    client,
    isLeader: () => true,
    controllerName: DEFAULT_GATEWAY_CONTROLLER,
    clock: systemClock,
    retryMs: 600_000,
  });
  await writer.reconcile();
  const first = performance.now() - t0;
  const firstWrites = writes;
  // Our own writes come back as watch events; let them settle.
  await new Promise((r) => setTimeout(r, 2000));
  await api.waitFor(() => api.activeWatches() > 0);

  const samples: number[] = [];
  const perChange: number[] = [];
  for (let s = 0; s < CHANGES; s++) {
    const i = (s * 997) % N;
    const label = `HTTPRoute ${ns(i)}/route-${i}`;
    const before = writes;
    written.delete(label);
    t0 = performance.now();
    api.apply(httpRoute(i, `missing-${s}`));
    while (!written.has(label)) await new Promise((r) => setImmediate(r));
    samples.push(written.get(label)! - t0);
    // Let the writes this change caused (the route, its Gateway's attachedRoutes if changed) finish.
    await new Promise((r) => setTimeout(r, 300));
    perChange.push(writes - before);
  }
  unsubscribe(GATEWAY_STATUS_CHANNEL, onStatus);
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  console.log(`routes ${N}, hostnames ${HOSTS}, changes ${CHANGES}`);
  console.log(`first full status write: ${first.toFixed(0)} ms, ${firstWrites} objects`);
  console.log(
    `one route change → its status written: median ${median.toFixed(1)} ms, max ${samples.at(-1)!.toFixed(1)} ms`,
  );
  console.log(`objects written per change: ${perChange.join(' ')}`);
  writer.stop();
  id.close();
  await client.close();
  await api.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
