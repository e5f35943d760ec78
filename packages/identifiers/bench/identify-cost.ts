/**
 * Per-request cost of identification for a known host, in isolation: `io.l5d.header.token` (the
 * default identifier) and `io.l5d.ingress` over 1 000 Ingresses (static source), each asked for a
 * rotating set of 64 known hosts and paths. Prints ns per identification (min and median of 9
 * rounds, interleaved). A script, not a test: it asserts nothing about speed.
 *
 *   pnpm --filter @switchyard/identifiers bench:identify
 *
 * `IDENTIFIERS_SRC=../src,../old-src` measures several copies of src/ side by side in one run
 * (an A/B against an older version: `mkdir old-src && git archive <rev> src | tar -x -C old-src
 * --strip-components=1` in this package, removed afterwards).
 */
import type { Identifier, RequestHead } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';

const N = Number(process.env.INGRESSES ?? 1_000);
const CALLS = Number(process.env.CALLS ?? 200_000);

function ingress_(i: number): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `ing-${i}`,
      namespace: 'default',
      creationTimestamp: '2026-01-01T00:00:00Z',
      annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
    },
    spec: {
      rules: [
        {
          host: `app-${i}.example.com`,
          http: {
            paths: [
              {
                path: '/api',
                pathType: 'Prefix',
                backend: { service: { name: `api-${i}`, port: { number: 80 } } },
              },
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: `web-${i}`, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  } as KubeObject;
}

function head(host: string, url: string): RequestHead {
  return {
    method: 'GET',
    url,
    headers: { host, 'user-agent': 'bench' },
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    httpVersion: '1.1',
    secure: false,
  } as unknown as RequestHead;
}

/** ns per identification for each case, rounds interleaved across cases (so drift hits all alike). */
async function measure(
  cases: { name: string; identify: Identifier<RequestHead> }[],
  reqs: RequestHead[],
): Promise<void> {
  for (const c of cases)
    for (const r of reqs)
      if ((await c.identify(r)).kind !== 'identified') throw new Error(`${c.name}: not identified`);
  const rounds = cases.map(() => [] as number[]);
  for (let round = 0; round < 9; round++) {
    for (const [k, c] of cases.entries()) {
      const t = process.hrtime.bigint();
      // Awaited in batches: what a router does per request, without one tick per call.
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < CALLS; i++) {
        batch.push(c.identify(reqs[i & 63]!));
        if (batch.length === 1000) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      rounds[k]!.push(Number(process.hrtime.bigint() - t) / CALLS);
    }
  }
  for (const [k, c] of cases.entries()) {
    const r = rounds[k]!.sort((a, b) => a - b);
    console.log(
      `${c.name.padEnd(56)} min ${r[0]!.toFixed(0).padStart(5)} ns   median ${r[4]!.toFixed(0).padStart(5)} ns`,
    );
  }
}

async function main(): Promise<void> {
  const sources = (process.env.IDENTIFIERS_SRC ?? '../src').split(',');
  const reqs = Array.from({ length: 64 }, (_, i) =>
    head(`app-${(i * 7) % N}.example.com`, i % 2 ? '/api/users?id=1' : '/index.html'),
  );
  console.log(
    `# node ${process.version}, ${CALLS} identifications × 9 rounds, sources: ${sources.join(', ')}`,
  );
  const token: { name: string; identify: Identifier<RequestHead> }[] = [];
  const ingress: { name: string; identify: Identifier<RequestHead> }[] = [];
  const objects = Array.from({ length: N }, (_, i) => ingress_(i));
  const closers: (() => void)[] = [];
  for (const src of sources) {
    const http = (await import(`${src}/http.js`)) as typeof import('../src/http.js');
    const ing = (await import(`${src}/ingress.js`)) as typeof import('../src/ingress.js');
    token.push({ name: `io.l5d.header.token (Host) [${src}]`, identify: http.createHeaderTokenIdentifier() });
    const id = ing.createIngressIdentifier({ source: { kind: 'static', objects } });
    await id.synced;
    closers.push(() => id.close());
    ingress.push({ name: `io.l5d.ingress (${N} Ingresses) [${src}]`, identify: id });
  }
  await measure(token, reqs);
  await measure(ingress, reqs);
  for (const close of closers) close();
}

await main();
