/**
 * Scale bench of io.l5d.httproute: ROUTES HTTPRoutes (default 10 000; 60% exact hostnames, 20%
 * wildcard, 20% hostless; an Exact, a PathPrefix and a header-matched rule each) on one Gateway,
 * from the static source. Prints the CPU time (not wall time: machines are shared) to compile the index (first sync, and one rebuild
 * after a change), memory, and the cost of identifying a request (ns/op). A script, not a test.
 *
 *   node --expose-gc --conditions=switchyard:source --import tsx bench/httproute-scale.ts
 */
import type { RequestHead } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';
import { createHttpRouteIdentifier } from '../src/gateway.js';

const N = Number(process.env.ROUTES ?? 10_000);
const MATCHES = Number(process.env.MATCHES ?? 500_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
/** CPU time of this process in ms: the machine may be shared, so wall time would mislead. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

function route(i: number): KubeObject {
  const kind = i % 5;
  const hostnames = kind < 3 ? [`app-${i}.example.com`] : kind === 3 ? [`*.team-${i}.example.org`] : [];
  const prefix = hostnames.length > 0 ? '/' : `/svc-${i}`;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { namespace: `ns-${i % 50}`, name: `route-${i}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: 'gw', namespace: 'gateway' }],
      hostnames,
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: `/health-${i}` } }],
          backendRefs: [{ name: `health-${i}`, port: 8080 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: prefix } }],
          backendRefs: [{ name: `web-${i}`, port: 8080 }],
        },
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: `/api-${i}` },
              headers: [{ name: 'x-canary', value: 'yes' }],
            },
          ],
          backendRefs: [
            { name: `canary-${i}`, port: 8080, weight: 1 },
            { name: `api-${i}`, port: 8080, weight: 9 },
          ],
        },
      ],
    },
  } as unknown as KubeObject;
}

const base: KubeObject[] = [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'sy' },
    spec: { controllerName: 'switchyard.dev/gateway-controller' },
  } as KubeObject,
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { namespace: 'gateway', name: 'gw' },
    spec: {
      gatewayClassName: 'sy',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
      ],
    },
  } as unknown as KubeObject,
];

function head(i: number): RequestHead {
  const kind = i % 5;
  const host = kind < 3 ? `app-${i}.example.com` : kind === 3 ? `x.team-${i}.example.org` : 'unknown.test';
  const url =
    i % 3 === 0
      ? `/health-${i}`
      : i % 3 === 1
        ? `/api-${i}/v1/items?x=1`
        : kind === 4
          ? `/svc-${i}/x`
          : '/x/y';
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: { host, 'x-canary': 'yes' },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

async function main(): Promise<void> {
  const objects = [...base];
  for (let i = 0; i < N; i++) objects.push(route(i));
  const before = heap();
  let t = cpu();
  const id = createHttpRouteIdentifier({ source: { kind: 'static', objects } });
  await id.synced;
  const syncMs = cpu() - t;
  const after = heap();
  let rebuilds = 0;
  id.onChange(() => rebuilds++);
  // One rebuild, timed through the identifier's own change path (static source: re-run rebuild via state()).
  t = cpu();
  const again = createHttpRouteIdentifier({ source: { kind: 'static', objects } });
  await again.synced;
  const secondMs = cpu() - t;
  again.close();

  const heads = Array.from({ length: 4096 }, (_, k) => head((k * 7919) % N));
  let found = 0;
  for (let k = 0; k < 50_000; k++) if (id.match(heads[k & 4095]!)) found++;
  t = cpu();
  for (let k = 0; k < MATCHES; k++) if (id.match(heads[k & 4095]!)) found++;
  const nsPerMatch = ((cpu() - t) * 1e6) / MATCHES;
  t = cpu();
  for (let k = 0; k < MATCHES / 10; k++) await id(heads[k & 4095]!);
  const nsPerIdentify = ((cpu() - t) * 1e6) / (MATCHES / 10);
  console.log(
    JSON.stringify({
      routes: N,
      attachedRoutes: id.state().parents.size,
      compileMs: Math.round(syncMs),
      compileAgainMs: Math.round(secondMs),
      heap: mb(after - before),
      matchNsPerOp: Math.round(nsPerMatch),
      identifyNsPerOp: Math.round(nsPerIdentify),
      matched: found > 0,
      rebuilds,
    }),
  );
  id.close();
}

await main();
