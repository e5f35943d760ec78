/**
 * io.l5d.httproute and io.l5d.ingress side by side, in one process, against one testkit
 * Kubernetes API server (real HTTP on loopback): ROUTES HTTPRoutes (default 10 000) over HOSTS
 * hostnames (default 1 000), and as many Ingresses with the equivalent rules (the same hostname,
 * a Prefix `/p-<i>` and an Exact `/health-<i>` path, the same backends). Both answer the same
 * requests. Prints, for each and as a ratio (httproute / ingress):
 * - first sync (list + index), CPU ms;
 * - the match cost per request (the synchronous core, CPU ns/op) and a full `identify` (ns/op);
 * - the time from one route's API write until identification uses it (median and max of 10).
 * CPU time, not wall time, for the per-request numbers: the machine is shared. A script, not a
 * test: it asserts nothing about speed, only that both name the same backends.
 *
 *   pnpm --filter @switchyard/identifiers bench:side-by-side   (ROUTES=2000 HOSTS=200 for a quick run)
 */
import type { RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { startFakeKubeApi } from '@switchyard/testkit';
import { createHttpRouteIdentifier } from '../src/gateway.js';
import { createIngressIdentifier } from '../src/ingress.js';

const N = Number(process.env.ROUTES ?? 10_000);
const HOSTS = Number(process.env.HOSTS ?? 1_000);
const MATCHES = Number(process.env.MATCHES ?? 300_000);
const G = 'gateway.networking.k8s.io/v1';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const host = (i: number) => `app-${i % HOSTS}.example.com`;
const ns = (i: number) => `ns-${i % 50}`;

function service(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name },
    spec: { ports: [{ port: 8080 }] },
  } as unknown as KubeObject;
}

function httpRoute(i: number, suffix = ''): KubeObject {
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
          backendRefs: [{ name: `web-${i}${suffix}`, port: 8080 }],
        },
        {
          matches: [{ path: { type: 'Exact', value: `/health-${i}` } }],
          backendRefs: [{ name: `health-${i}`, port: 8080 }],
        },
      ],
    },
  } as unknown as KubeObject;
}

function ingress(i: number, suffix = ''): KubeObject {
  const path = (p: string, pathType: string, svc: string) => ({
    path: p,
    pathType,
    backend: { service: { name: svc, port: { number: 8080 } } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace: ns(i),
      name: `ing-${i}`,
      annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
    },
    spec: {
      rules: [
        {
          host: host(i),
          http: {
            paths: [
              path(`/p-${i}`, 'Prefix', `web-${i}${suffix}`),
              path(`/health-${i}`, 'Exact', `health-${i}`),
            ],
          },
        },
      ],
    },
  } as unknown as KubeObject;
}

function head(hostHeader: string, url: string): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: { host: hostHeader },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function main(): Promise<void> {
  const api = await startFakeKubeApi({ historyLimit: N * 6 + 1000 });
  api.apply({
    apiVersion: G,
    kind: 'GatewayClass',
    metadata: { name: 'sy' },
    spec: { controllerName: 'switchyard.dev/gateway-controller' },
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
    // Services exist, so the Gateway identifier (which checks them) routes every backend.
    api.apply(service(ns(i), `web-${i}`));
    api.apply(service(ns(i), `health-${i}`));
    api.apply(httpRoute(i));
    api.apply(ingress(i));
  }
  for (let s = 0; s < 10; s++) api.apply(service(ns(s * 7), `web-${s * 7}-v${s + 2}`));
  const client = createKubeClient(urlConfig(api.url));

  let t = cpu();
  const gw = createHttpRouteIdentifier({ source: { kind: 'kubernetes', client } });
  await gw.synced;
  const gwSync = cpu() - t;
  t = cpu();
  const ing = createIngressIdentifier({ source: { kind: 'kubernetes', client } });
  await ing.synced;
  const ingSync = cpu() - t;

  // The same requests for both: Prefix hits, Exact hits, and misses (another route's path).
  const reqs: { host: string; path: string; head: RequestHead }[] = [];
  for (let k = 0; k < 4096; k++) {
    const i = (k * 7919) % N;
    const path = k % 3 === 0 ? `/p-${i}/items/42` : k % 3 === 1 ? `/health-${i}` : `/p-${(i + 1) % N}`;
    reqs.push({ host: host(i), path, head: head(`${host(i)}:80`, path) });
  }
  // Both must name the same backends (else the comparison is meaningless).
  for (const r of reqs) {
    const a = gw.match(r.head);
    const b = ing.match(r.host, r.path);
    const an = a?.target.kind === 'route' ? Path.show(a.target.path) : undefined;
    const bn = b ? `/svc/${b.backend.namespace}/${b.backend.port}/${b.backend.service}` : undefined;
    if (an !== bn) throw new Error(`disagree on ${r.host}${r.path}: ${an} vs ${bn}`);
  }

  const timeMatch = (f: (k: number) => unknown) => {
    for (let k = 0; k < 50_000; k++) f(k & 4095);
    const t0 = cpu();
    for (let k = 0; k < MATCHES; k++) f(k & 4095);
    return ((cpu() - t0) * 1e6) / MATCHES;
  };
  const gwMatch = timeMatch((k) => gw.match(reqs[k]!.head));
  const ingMatch = timeMatch((k) => ing.match(reqs[k]!.host, reqs[k]!.path));
  const timeIdentify = async (f: (k: number) => Promise<unknown>) => {
    const n = MATCHES / 10;
    const t0 = cpu();
    for (let k = 0; k < n; k++) await f(k & 4095);
    return ((cpu() - t0) * 1e6) / n;
  };
  const gwIdentify = await timeIdentify((k) => gw(reqs[k]!.head));
  const ingIdentify = await timeIdentify((k) => ing(reqs[k]!.head));

  // One route change: API write → identification names the new backend.
  await api.waitFor(() => api.activeWatches() > 0);
  const change = async (apply: (i: number, s: number) => void, named: (i: number) => string | undefined) => {
    const samples: number[] = [];
    for (let s = 0; s < 10; s++) {
      const i = s * 7;
      const want = `web-${i}-v${s + 2}`;
      const t0 = performance.now();
      apply(i, s);
      while (named(i) !== want) await new Promise((r) => setImmediate(r));
      samples.push(performance.now() - t0);
    }
    return samples;
  };
  const gwChange = await change(
    (i, s) => api.apply(httpRoute(i, `-v${s + 2}`)),
    (i) => {
      const e = gw.match(head(host(i), `/p-${i}`));
      return e?.target.kind === 'route' ? e.target.path.at(-1) : undefined;
    },
  );
  const ingChange = await change(
    (i, s) => api.apply(ingress(i, `-v${s + 2}`)),
    (i) => ing.match(host(i), `/p-${i}`)?.backend.service,
  );

  const row = (label: string, a: number, b: number, unit: string) =>
    console.log(
      `  ${label.padEnd(34)} ${`${a.toFixed(0)} ${unit}`.padStart(12)} ${`${b.toFixed(0)} ${unit}`.padStart(12)} ${ratio(a, b).padStart(8)}`,
    );
  console.log(
    `io.l5d.httproute vs io.l5d.ingress: ${N} routes over ${HOSTS} hostnames (2 rules each), one API server`,
  );
  console.log(
    `  ${''.padEnd(34)} ${'httproute'.padStart(12)} ${'ingress'.padStart(12)} ${'ratio'.padStart(8)}`,
  );
  row('first sync (list + index), CPU', gwSync, ingSync, 'ms');
  row('match per request, CPU', gwMatch, ingMatch, 'ns');
  row('identify per request, CPU', gwIdentify, ingIdentify, 'ns');
  row('one change → in effect, median', median(gwChange), median(ingChange), 'ms');
  row('one change → in effect, max', Math.max(...gwChange), Math.max(...ingChange), 'ms');
  gw.close();
  ing.close();
  await client.close();
  await api.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
