/**
 * The Kubernetes API server of control-plane-memory.ts, in a process of its own so its objects do
 * not count in the measured process: the testkit's fake API with INGRESSES Ingresses and SERVICES
 * Services of PODS endpoints (EndpointSlices), spread over NAMESPACES namespaces. Forked with IPC:
 * sends `{ url }` once populated; `{ ingress: i, generation }` / `{ slice: s, generation }` apply a
 * changed object and answer `{ applied: true }`.
 */
import type { Ingress } from '@switchyard/k8s';
import { scaleEndpointSlice, scaleIngress, scaleService, startFakeKubeApi } from '@switchyard/testkit';

const INGRESSES = Number(process.env.INGRESSES ?? 10_000);
const SERVICES = Number(process.env.SERVICES ?? 500);
const PODS = Number(process.env.PODS ?? 100);
const NAMESPACES = 10;

/** The Service an Ingress's k-th path points at: one of its namespace's. */
export function backendOf(i: number, k: number): string {
  return `svc-${(((i + k * 7) * NAMESPACES) % SERVICES) + (i % NAMESPACES)}`;
}

/**
 * Ingress i: 60 % exact host, 20 % wildcard, 20 % hostless; 3 paths to Services of its namespace;
 * a later `generation` points the first path at `backendOf(i, generation)`.
 */
export function ingress(i: number, generation = 0): Ingress {
  return scaleIngress(i, {
    namespaces: NAMESPACES,
    port: 80,
    backend: (k) => backendOf(i, k === 0 ? generation : k),
  });
}

if (process.send !== undefined) {
  const api = await startFakeKubeApi({ historyLimit: INGRESSES + SERVICES * 2 + 1000 });
  for (let s = 0; s < SERVICES; s++) {
    api.apply(scaleService(s, NAMESPACES));
    api.apply(scaleEndpointSlice(s, { namespaces: NAMESPACES, pods: PODS }));
  }
  for (let i = 0; i < INGRESSES; i++) api.apply(ingress(i));
  process.on('message', (m: { ingress?: number; slice?: number; generation: number }) => {
    if (m.ingress !== undefined) api.apply(ingress(m.ingress, m.generation));
    if (m.slice !== undefined)
      api.apply(
        scaleEndpointSlice(m.slice, { namespaces: NAMESPACES, pods: PODS, generation: m.generation }),
      );
    process.send!({ applied: true });
  });
  process.on('disconnect', () => void api.close().then(() => process.exit(0)));
  process.send({ url: api.url });
}
