/**
 * The Kubernetes API server of control-plane-memory.ts, in a process of its own so its objects do
 * not count in the measured process: the testkit's fake API with INGRESSES Ingresses and SERVICES
 * Services of PODS endpoints (EndpointSlices), spread over NAMESPACES namespaces. Forked with IPC:
 * sends `{ url }` once populated; `{ ingress: i, generation }` / `{ slice: s, generation }` apply a
 * changed object and answer `{ applied: true }`.
 */
import type { KubeObject } from '@switchyard/k8s';
import { startFakeKubeApi } from '@switchyard/testkit';

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
export function ingress(i: number, generation = 0): KubeObject {
  const kind = i % 5;
  const ns = i % NAMESPACES;
  const host = kind < 3 ? `app-${i}.example.com` : kind === 3 ? `*.team-${i}.example.org` : undefined;
  const svc = (k: number) => backendOf(i, k);
  const path = (p: string, type: string, name: string) => ({
    path: p,
    pathType: type,
    backend: { service: { name, port: { number: 80 } } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace: `ns-${ns}`,
      name: `ing-${i}`,
      annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
    },
    spec: {
      rules: [
        {
          ...(host ? { host } : {}),
          http: {
            paths: [
              path(host ? '/' : `/svc-${i}`, 'Prefix', generation === 0 ? svc(0) : svc(generation)),
              path(`/api-${i}/v1`, 'Prefix', svc(1)),
              path(`/health-${i}`, 'Exact', svc(2)),
            ],
          },
        },
      ],
    },
  } as KubeObject;
}

function service(s: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: `ns-${s % NAMESPACES}`, name: `svc-${s}` },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  } as KubeObject;
}

export function slice(s: number, generation = 0): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: `ns-${s % NAMESPACES}`,
      name: `svc-${s}-abcde`,
      labels: { 'kubernetes.io/service-name': `svc-${s}` },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: PODS }, (_, p) => ({
      addresses: [`10.${(s >> 8) & 255}.${s & 255}.${(p + generation) % 250}`],
      conditions: { ready: true },
      nodeName: `node-${p % 20}`,
      targetRef: { kind: 'Pod', name: `svc-${s}-pod-${p}`, uid: `${s}-${p}-${generation}` },
    })),
  } as KubeObject;
}

if (process.send !== undefined) {
  const api = await startFakeKubeApi({ historyLimit: INGRESSES + SERVICES * 2 + 1000 });
  for (let s = 0; s < SERVICES; s++) {
    api.apply(service(s));
    api.apply(slice(s));
  }
  for (let i = 0; i < INGRESSES; i++) api.apply(ingress(i));
  process.on('message', (m: { ingress?: number; slice?: number; generation: number }) => {
    if (m.ingress !== undefined) api.apply(ingress(m.ingress, m.generation));
    if (m.slice !== undefined) api.apply(slice(m.slice, m.generation));
    process.send!({ applied: true });
  });
  process.on('disconnect', () => void api.close().then(() => process.exit(0)));
  process.send({ url: api.url });
}
