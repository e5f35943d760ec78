/**
 * Scale bench of io.l5d.ingress over the testkit's Kubernetes API server (real HTTP, loopback):
 * 10 000 Ingresses with mixed exact hosts, wildcard hosts, hostless rules and Exact/Prefix paths.
 * Prints: time to first sync, memory (heapUsed / RSS delta), rule-match cost per request (ns/op,
 * host-indexed, compared with a linear scan over every rule), and the time for one Ingress change
 * to take effect. A script, not a test: it asserts nothing about speed.
 *
 *   pnpm --filter @switchyard/identifiers bench          (add INGRESSES=1000 for a quick run)
 */
import type { Ingress } from '@switchyard/k8s';
import { createKubeClient, urlConfig } from '@switchyard/k8s';
import { scaleIngress, startFakeKubeApi } from '@switchyard/testkit';
import { createIngressIdentifier } from '../src/ingress.js';

const N = Number(process.env.INGRESSES ?? 10_000);
const MATCHES = Number(process.env.MATCHES ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;

function mem(): { heap: number; rss: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** Ingress i: 60% exact host, 20% wildcard host, 20% hostless; 3 paths each (web, api, health). */
function ingress(i: number, svcSuffix = ''): Ingress {
  const services = [`web-${i}`, `api-${i}`, `health-${i}`] as const;
  return scaleIngress(i, { namespaces: 50, port: 8080, backend: (k) => `${services[k]}${svcSuffix}` });
}

async function main(): Promise<void> {
  const api = await startFakeKubeApi({ historyLimit: N * 2 + 1000 });
  for (let i = 0; i < N; i++) api.apply(ingress(i));
  const client = createKubeClient(urlConfig(api.url));
  const before = mem();
  const t0 = performance.now();
  const id = createIngressIdentifier({ source: { kind: 'kubernetes', client } });
  await id.synced;
  const syncMs = performance.now() - t0;
  const after = mem();
  console.log(`io.l5d.ingress scale bench: ${N} Ingresses, ${id.rules().length} rules`);
  console.log(`  first sync (list ${N} Ingresses over HTTP + index): ${syncMs.toFixed(0)} ms`);
  console.log(
    `  memory: heapUsed +${mb(after.heap - before.heap)}, RSS +${mb(after.rss - before.rss)}${gc ? '' : ' (run with --expose-gc for steadier numbers)'}`,
  );

  // Requests: a mix of exact hosts, wildcard subdomains, hostless paths and misses.
  const requests: [string, string][] = [];
  for (let k = 0; k < 4096; k++) {
    const i = (k * 7919) % N;
    const kind = i % 5;
    if (kind < 3)
      requests.push([`app-${i}.example.com:443`, k % 2 ? `/api-${i}/v1/users/42` : `/health-${i}`]);
    else if (kind === 3) requests.push([`x${k}.team-${i}.example.org`, '/index.html']);
    else requests.push([`unknown-${k}.example.net`, k % 3 ? `/svc-${i}/a/b` : `/nothing/here`]);
  }
  let hits = 0;
  const hosts = requests.map((r) => r[0]);
  const paths = requests.map((r) => r[1]);
  const match = id.match;
  for (let w = 0; w < 100_000; w++) if (match(hosts[w & 4095], paths[w & 4095]!)) hits++;
  hits = 0;
  const m0 = process.hrtime.bigint();
  for (let r = 0; r < MATCHES; r++) if (match(hosts[r & 4095], paths[r & 4095]!)) hits++;
  const nsPerOp = Number(process.hrtime.bigint() - m0) / MATCHES;
  console.log(
    `  rule match (host-indexed): ${nsPerOp.toFixed(0)} ns/op over ${MATCHES} requests, ${((hits / MATCHES) * 100).toFixed(0)}% matched`,
  );

  // For scale: what a linear scan over every rule (Linkerd 1's IngressCache) costs per request.
  const rules = id.rules().filter((r) => r.match !== 'default');
  const scanN = 2000;
  const s0 = process.hrtime.bigint();
  for (let r = 0; r < scanN; r++) {
    const [host, path] = requests[r & 4095]!;
    const h = host.split(':')[0]!;
    rules.find((x) => (x.host === '*' || x.host === h) && (x.path === undefined || path.startsWith(x.path)));
  }
  const scanNs = Number(process.hrtime.bigint() - s0) / scanN;
  console.log(
    `  (linear scan over ${rules.length} rules, for comparison: ${(scanNs / 1000).toFixed(0)} µs/op)`,
  );

  // One Ingress change: time from the API write until identification uses it.
  await api.waitFor(() => api.activeWatches() > 0);
  const samples: number[] = [];
  for (let s = 0; s < 10; s++) {
    const i = s * 5; // exact-host Ingresses (i % 5 === 0)
    const changed = ingress(i, `-v${s + 2}`);
    const want = `web-${i}-v${s + 2}`;
    const c0 = performance.now();
    api.apply(changed);
    for (;;) {
      if (id.match(`app-${i}.example.com`, '/')?.backend.service === want) break;
      await new Promise((r) => setImmediate(r));
    }
    samples.push(performance.now() - c0);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `  one Ingress change → in effect: median ${samples[5]!.toFixed(2)} ms, max ${samples[9]!.toFixed(2)} ms (10 changes)`,
  );
  id.close();
  await client.close();
  await api.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
