/**
 * One Kubernetes client and one informer set per API server and identity: kinds naming the same
 * server through `host`/`port` and through the kubeconfig share them, so the API sees one watch
 * per resource (checked in the test API server's request log) and one connection pool.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDefaultKinds,
  Linker,
  object,
  optional,
  parseLinkerConfig,
  port,
  string,
} from '../src/index.js';

let api: FakeKubeApi | undefined;
let linker: Linker | undefined;
let dir: string | undefined;
const savedKubeconfig = process.env.KUBECONFIG;
afterEach(async () => {
  await linker?.close();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  linker = api = dir = undefined;
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
});

/** Starts the test API and points KUBECONFIG at it (`server` as written there). */
async function apiWithKubeconfig(server: (url: string) => string = (u) => u): Promise<FakeKubeApi> {
  api = await startFakeKubeApi();
  dir = await mkdtemp(join(tmpdir(), 'sy-kube-sharing-'));
  const path = join(dir, 'kubeconfig');
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${server(api.url)}" } }]
users: [{ name: u, user: {} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
  );
  process.env.KUBECONFIG = path;
  return api;
}

/** Watches per path (with the selectors that make a distinct watch) in the request log. */
function watchCounts(a: FakeKubeApi): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of a.requests) {
    if (!r.watch) continue;
    const key = [r.path, r.query.labelSelector, r.query.fieldSelector].filter(Boolean).join(' ');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const routers = (port: number) => `namers:
- { kind: io.l5d.k8s }
routers:
- protocol: http
  label: by-host
  identifier: { kind: io.l5d.ingress, host: 127.0.0.1, port: ${port} }
  servers: [{ port: 0, ip: 127.0.0.1 }]
  dtab: /svc => /#/io.l5d.k8s
- protocol: http
  label: by-kubeconfig
  identifier: { kind: io.l5d.ingress }
  servers: [{ port: 0, ip: 127.0.0.1 }]
  dtab: /svc => /#/io.l5d.k8s
`;

describe('shared Kubernetes client', () => {
  it('host/port and a kubeconfig naming the same server get one client and one informer set', async () => {
    const a = await apiWithKubeconfig();
    const kinds = createDefaultKinds();
    const seen: { client: KubeClient; informers: unknown }[] = [];
    kinds.identifier.register({
      kind: 'test.kube',
      doc: 'Records the client it is given.',
      schema: object({ host: optional(string(), 'host'), port: optional(port(), 'port') }),
      build: async (o, c) => {
        const where = { ...(o.host ? { host: o.host } : {}), ...(o.port ? { port: o.port } : {}) };
        seen.push({ client: await c.kubeClient(where), informers: await c.kubeInformers(where) });
        return { kind: 'test.kube', identifier: async () => ({ kind: 'unidentified', reason: 'test' }) };
      },
    });
    const text = ['{}', `{ host: 127.0.0.1, port: ${a.port} }`, `{ host: localhost, port: ${a.port} }`]
      .map(
        (where, i) => `- protocol: http
  label: r${i}
  identifier: { kind: test.kube, ${where.slice(1, -1)} }
  servers: [{ port: 0, ip: 127.0.0.1 }]
`,
      )
      .join('');
    linker = await Linker.start(parseLinkerConfig(`routers:\n${text}`, 'c.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    expect(seen).toHaveLength(3);
    expect(seen[1]!.client).toBe(seen[0]!.client);
    expect(seen[1]!.informers).toBe(seen[0]!.informers);
    // Another server name is another server as far as TLS and credentials go: its own client.
    expect(seen[2]!.client).not.toBe(seen[0]!.client);
  });

  it('the namer and two ingress identifiers, one by host/port and one by kubeconfig: one watch per resource', async () => {
    const a = await apiWithKubeconfig();
    a.apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        namespace: 'default',
        name: 'i',
        annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
      },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    } as never);
    const kinds = createDefaultKinds();
    linker = await Linker.start(parseLinkerConfig(routers(a.port), 'c.yaml', kinds), {
      kinds,
      baseDir: '.',
      noAdmin: true,
    });
    await a.waitFor(() => a.activeWatches('/apis/networking.k8s.io/v1/ingresses') > 0);
    // Long enough for a second informer set's watches to open, if there were one.
    await new Promise((r) => setTimeout(r, 300));
    const counts = watchCounts(a);
    console.log(`watches per resource: ${JSON.stringify(counts)}`);
    expect(counts['/apis/networking.k8s.io/v1/ingresses']).toBe(1);
    expect(counts['/apis/networking.k8s.io/v1/ingressclasses']).toBe(1);
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);
  });
});
