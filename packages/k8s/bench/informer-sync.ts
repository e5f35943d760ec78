/**
 * Informer throughput over the testkit API server (real sockets): time to first sync for N
 * Services, and the latency of one change from `apply()` on the server to the informer listener.
 * Prints figures; asserts nothing. Run: `pnpm --filter @switchyard/k8s bench`.
 */
import { createInformer, createKubeClient, SERVICE_V1, urlConfig } from '@switchyard/k8s';
import { startFakeKubeApi } from '@switchyard/testkit';

const N = Number(process.env.N ?? 20_000);
const api = await startFakeKubeApi({ historyLimit: 1000 });
for (let i = 0; i < N; i++) {
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: `ns${i % 50}`, name: `svc-${i}`, labels: { app: `a${i % 10}` } },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
}
const client = createKubeClient(urlConfig(api.url));
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const inf = createInformer(client, SERVICE_V1);
await inf.synced;
const syncMs = performance.now() - t;
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
await api.waitFor(() => api.activeWatches() === 1);

const latencies: number[] = [];
for (let i = 0; i < 200; i++) {
  const name = `svc-${i}`;
  const seen = new Promise<void>((resolve) => {
    const stop = inf.subscribe(
      (e) => {
        if (e.kind === 'modified' && e.object.metadata.name === name) {
          stop();
          resolve();
        }
      },
      { replay: false },
    );
  });
  t = performance.now();
  api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: `ns${i % 50}`, name },
    spec: { ports: [{ port: 81 }] },
  });
  await seen;
  latencies.push(performance.now() - t);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.floor((latencies.length - 1) * p)]!.toFixed(2);
console.log(
  `services=${N} pages=${Math.ceil(N / 500)} firstSync=${syncMs.toFixed(0)}ms heap≈${heapMb.toFixed(1)}MB`,
);
console.log(`change→listener latency ms: p50=${pct(0.5)} p99=${pct(0.99)} max=${pct(1)}`);
inf.stop();
await client.close();
await api.close();
