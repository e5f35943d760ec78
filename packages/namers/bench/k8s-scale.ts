/**
 * Scale bench of io.l5d.k8s over the testkit's Kubernetes API server (real HTTP, loopback):
 * 50 000 endpoints (500 Services × 100 pods in EndpointSlices of 100, across 10 namespaces).
 * Prints: time until every Service's bound address set is known (first sync), memory (heapUsed /
 * RSS delta), and the time for an endpoint change to reach an observer of the bound addr.
 * A script, not a test: it asserts nothing about speed.
 *
 *   pnpm --filter @switchyard/namers bench          (SERVICES=50 for a quick run)
 *   ALL_NAMESPACES=1 pnpm --filter @switchyard/namers bench   (one cluster-wide watch pair)
 */
import type { Addr, BoundName, Dispose } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { scaleEndpointSlice, scaleService, startFakeKubeApi } from '@switchyard/testkit';
import { createK8sNamer } from '../src/k8s.js';

const SERVICES = Number(process.env.SERVICES ?? 500);
const PODS = Number(process.env.PODS ?? 100);
const NAMESPACES = 10;
const ALL_NAMESPACES = process.env.ALL_NAMESPACES === '1';
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
function mem(): { heap: number; rss: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

const slice = (s: number, generation = 0) =>
  scaleEndpointSlice(s, { namespaces: NAMESPACES, pods: PODS, generation });

async function main(): Promise<void> {
  const api = await startFakeKubeApi({ historyLimit: SERVICES * 4 + 1000 });
  for (let s = 0; s < SERVICES; s++) {
    api.apply(scaleService(s, NAMESPACES));
    api.apply(slice(s));
  }
  const client = createKubeClient(urlConfig(api.url));
  const before = mem();
  const t0 = performance.now();
  const namer = createK8sNamer({ client, allNamespaces: ALL_NAMESPACES });
  const disposers: Dispose[] = [];
  const names: BoundName[] = [];
  await Promise.all(
    Array.from(
      { length: SERVICES },
      (_, s) =>
        new Promise<void>((resolve) => {
          let addrDispose: Dispose | undefined;
          const d = namer.lookup(Path.read(`/ns-${s % NAMESPACES}/http/svc-${s}`)).states.observe((st) => {
            if (st.kind !== 'ok' || st.value.kind !== 'leaf' || addrDispose) return;
            const name = st.value.value as BoundName;
            names[s] = name;
            addrDispose = name.addr.observe((a: Addr) => {
              if (a.kind === 'bound' && a.addresses.length === PODS) resolve();
            });
            disposers.push(addrDispose);
          });
          disposers.push(d);
        }),
    ),
  );
  const syncMs = performance.now() - t0;
  const after = mem();
  console.log(
    `io.l5d.k8s scale bench: ${SERVICES} Services × ${PODS} endpoints = ${SERVICES * PODS} endpoints, ${NAMESPACES} namespaces${ALL_NAMESPACES ? ', allNamespaces' : ''}`,
  );
  console.log(`  first sync (lists over HTTP until every bound addr is known): ${syncMs.toFixed(0)} ms`);
  console.log(
    `  memory: heapUsed +${mb(after.heap - before.heap)}, RSS +${mb(after.rss - before.rss)}${gc ? '' : ' (run with --expose-gc)'}`,
  );
  await api.waitFor(() => api.activeWatches() === (ALL_NAMESPACES ? 2 : NAMESPACES * 2));
  console.log(
    `  watches open: ${api.activeWatches()} (one Service and one EndpointSlice informer ${ALL_NAMESPACES ? 'for all namespaces' : 'per namespace'})`,
  );

  const samples: number[] = [];
  for (let k = 0; k < 20; k++) {
    const s = (k * 37) % SERVICES;
    const generation = k + 1;
    const want = `10.${(s >> 8) & 255}.${s & 255}.${generation % 250}`;
    const arrived = new Promise<void>((resolve) => {
      let d: Dispose | undefined;
      d = names[s]!.addr.observe((a) => {
        if (
          a.kind === 'bound' &&
          a.addresses.some((x) => x.host === want) &&
          a.addresses.every((x) => x.host !== `10.${(s >> 8) & 255}.${s & 255}.0`)
        ) {
          queueMicrotask(() => d?.());
          resolve();
        }
      });
    });
    const c0 = performance.now();
    api.apply(slice(s, generation));
    await arrived;
    samples.push(performance.now() - c0);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `  endpoint change → bound addr observer: median ${samples[10]!.toFixed(2)} ms, max ${samples[19]!.toFixed(2)} ms (20 changes of a ${PODS}-endpoint slice)`,
  );
  for (const d of disposers) d();
  namer.close();
  await client.close();
  await api.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
