/**
 * `pnpm --filter @switchyard/identifiers bench:memory` — the control plane's footprint at the
 * issue's scale (issue 17 item 3): 10 000 Ingresses (io.l5d.ingress) and 50 000 endpoints
 * (io.l5d.k8s, 500 Services × 100 pods, allNamespaces as the shipped manifests run it) in one
 * process, the Kubernetes API server in another (control-plane-api.ts) so only the consumer is
 * measured. Prints the process's RSS and heap after a full GC (absolute, and the growth over the
 * same process before it loaded anything), the time to first sync, and the time for one change to
 * take effect: an Ingress edit until `match` returns the new backend, an EndpointSlice edit until
 * an observer of the bound address sees the new set (each counted from the API write request).
 * Env: INGRESSES, SERVICES, PODS (passed to the API process). Run with --expose-gc.
 * Not a test: it asserts nothing.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Addr, BoundName, Dispose } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { createK8sNamer } from '@switchyard/namers/k8s';
import { createIngressIdentifier } from '../src/ingress.js';
import { backendOf } from './control-plane-api.js';

const INGRESSES = Number(process.env.INGRESSES ?? 10_000);
const SERVICES = Number(process.env.SERVICES ?? 500);
const PODS = Number(process.env.PODS ?? 100);
const NAMESPACES = 10;
const MIB = 1024 * 1024;
const mib = (b: number) => (b / MIB).toFixed(1);

function mem(): NodeJS.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

function median(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[s.length >> 1]!.toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const before = mem();
  const api = fork(fileURLToPath(new URL('./control-plane-api.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--conditions=switchyard:source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [{ url }] = (await once(api, 'message')) as [{ url: string }];
  const apply = async (m: Record<string, number>) => {
    const done = once(api, 'message');
    api.send(m);
    await done;
  };

  const t0 = performance.now();
  const client = createKubeClient(urlConfig(url));
  const id = createIngressIdentifier({ source: { kind: 'kubernetes', client } });
  const namer = createK8sNamer({ client, allNamespaces: true });
  const names: BoundName[] = [];
  const disposers: Dispose[] = [];
  await Promise.all([
    id.synced,
    ...Array.from(
      { length: SERVICES },
      (_, s) =>
        new Promise<void>((resolve) => {
          let bound = false;
          disposers.push(
            namer.lookup(Path.read(`/ns-${s % NAMESPACES}/http/svc-${s}`)).states.observe((st) => {
              if (st.kind !== 'ok' || st.value.kind !== 'leaf' || bound) return;
              bound = true;
              const name = st.value.value as BoundName;
              names[s] = name;
              disposers.push(
                name.addr.observe((a: Addr) => {
                  if (a.kind === 'bound' && a.addresses.length === PODS) resolve();
                }),
              );
            }),
          );
        }),
    ),
  ]);
  const syncMs = performance.now() - t0;
  const after = mem();
  console.log(
    `control-plane bench: node ${process.version}, ${INGRESSES} Ingresses (${id.rules().length} rules), ${SERVICES} Services × ${PODS} = ${SERVICES * PODS} endpoints observed`,
  );
  console.log(
    `  first sync (lists + watches over HTTP, every rule and bound address known): ${syncMs.toFixed(0)} ms`,
  );
  console.log(
    `  after GC: RSS ${mib(after.rss)} MiB (+${mib(after.rss - before.rss)} over the empty process), heapUsed ${mib(after.heapUsed)} MiB (+${mib(after.heapUsed - before.heapUsed)}), external ${mib(after.external)} MiB`,
  );

  const ingressMs: number[] = [];
  for (let k = 0; k < 10; k++) {
    const i = k * 5; // exact-host Ingresses (i % 5 === 0)
    const want = backendOf(i, k + 1);
    const c0 = performance.now();
    await apply({ ingress: i, generation: k + 1 });
    while (id.match(`app-${i}.example.com`, '/')?.backend.service !== want)
      await new Promise((r) => setImmediate(r));
    ingressMs.push(performance.now() - c0);
  }
  console.log(`  one Ingress change → match uses it: ${median(ingressMs)} (10 changes)`);

  const sliceMs: number[] = [];
  for (let k = 0; k < 10; k++) {
    const s = (k * 37) % SERVICES;
    const want = `10.${(s >> 8) & 255}.${s & 255}.${(k + 1) % 250}`;
    const gone = `10.${(s >> 8) & 255}.${s & 255}.0`;
    let d: Dispose | undefined;
    const arrived = new Promise<void>((resolve) => {
      d = names[s]!.addr.observe((a) => {
        if (
          a.kind === 'bound' &&
          a.addresses.some((x) => x.host === want) &&
          a.addresses.every((x) => x.host !== gone)
        )
          resolve();
      });
    });
    const c0 = performance.now();
    await apply({ slice: s, generation: k + 1 });
    await arrived;
    sliceMs.push(performance.now() - c0);
    d?.();
  }
  console.log(
    `  one EndpointSlice change (${PODS} endpoints) → bound address observer: ${median(sliceMs)} (10 changes)`,
  );
  const end = mem();
  console.log(`  after the changes, GC: RSS ${mib(end.rss)} MiB, heapUsed ${mib(end.heapUsed)} MiB`);
  for (const d of disposers) d();
  namer.close();
  id.close();
  await client.close();
  api.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
