/**
 * `routers[].dtabStore`: several linkers (replicas) against the test API server with the shipped
 * Dtab CRD, and the file store; the store's dentries are appended to the config's dtab, live.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dtab } from '@switchyard/dtab';
import {
  createKubeClient,
  defineResource,
  type KubeClient,
  type KubeObject,
  urlConfig,
} from '@switchyard/k8s';
import { createK8sDtabStore, DTAB_V1ALPHA1, type DtabStore } from '@switchyard/namers/dtab-store';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ConfigError,
  createDefaultKinds,
  DTAB_STORE_CHANNEL,
  Linker,
  parseLinkerConfig,
  validateLinker,
} from '../src/index.js';
import { get as httpGet, textBackend } from './http.js';

const kinds = createDefaultKinds();
const CRD_FILE = fileURLToPath(new URL('../../../examples/ingress/k8s/base/dtab-crd.yaml', import.meta.url));
const cluster = (plural: string, kind: string, group: string) =>
  defineResource<KubeObject>({ group, version: 'v1', plural, kind, namespaced: false });

function configText(dir: string, store: string, dtab = '/svc/web => /#/io.l5d.fs/blue'): string {
  return `
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: edge
  dtab: ${dtab}
  dtabStore:
${store}
  servers:
  - port: 0
    ip: 127.0.0.1
`;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('dtabStore io.l5d.k8s: several replicas', () => {
  let dir: string;
  let api: FakeKubeApi;
  let admin: KubeClient;
  let writer: DtabStore;
  let blue: { server: Server; port: number };
  let green: { server: Server; port: number };
  const linkers: Linker[] = [];
  const agent = new Agent({ keepAlive: true });
  const events: Record<string, unknown>[] = [];
  const onEvent = (m: unknown) => events.push(m as Record<string, unknown>);

  beforeAll(async () => {
    subscribe(DTAB_STORE_CHANNEL, onEvent);
    dir = await mkdtemp(join(tmpdir(), 'sy-dtab-store-'));
    blue = await textBackend('blue');
    green = await textBackend('green');
    await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
    await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
    api = await startFakeKubeApi();
    admin = createKubeClient(urlConfig(api.url));
    await admin.create(
      cluster('customresourcedefinitions', 'CustomResourceDefinition', 'apiextensions.k8s.io'),
      parse(await readFile(CRD_FILE, 'utf8')) as KubeObject,
    );
    await admin.create(cluster('namespaces', 'Namespace', ''), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'l5d-system' },
    });
    writer = createK8sDtabStore({ client: admin, namespace: 'l5d-system' });
    const { port } = new URL(api.url);
    const store = `    kind: io.l5d.k8s\n    namespace: l5d-system\n    host: 127.0.0.1\n    port: ${port}`;
    for (let i = 0; i < 3; i++) {
      linkers.push(
        await Linker.start(parseLinkerConfig(configText(dir, store), 'linker.yaml', kinds), {
          kinds,
          baseDir: dir,
          noAdmin: true,
        }),
      );
    }
    await until(() => linkers.every((l) => l.ready));
  });

  afterAll(async () => {
    unsubscribe(DTAB_STORE_CHANNEL, onEvent);
    agent.destroy();
    await Promise.all(linkers.map((l) => l.close()));
    await writer.close();
    await admin.close();
    await api.close();
    blue.server.close();
    green.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const body = async (l: Linker) =>
    (await httpGet(l.routers[0]!.servers[0]!.port, { path: '/', agent, headers: { host: 'web' } })).body;

  it('a write reaches every replica (time printed; target 100 ms) and is appended to the config dtab', async () => {
    expect(await Promise.all(linkers.map(body))).toEqual(['blue', 'blue', 'blue']);
    // Warm the path (informer events, dtab parsing) with a Dtab none of them uses.
    await writer.update('warm-up', Dtab.read('/a => /b'), undefined);
    await until(() => events.length === 0 && api.requests.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    const written = await writer.update('edge', Dtab.read('/svc/web => /#/io.l5d.fs/green'), undefined);
    const acked = performance.now() - started;
    const expected = '/svc/web=>/#/io.l5d.fs/blue;/svc/web=>/#/io.l5d.fs/green';
    await until(() => linkers.every((l) => Dtab.show(l.routers[0]!.dtab) === expected));
    const elapsed = performance.now() - started;
    console.info(
      `dtab store write → 3 linkers: ${elapsed.toFixed(1)} ms (the write itself: ${acked.toFixed(1)} ms)`,
    );
    // The 100 ms target is a printed figure (docs/dtab-store.md); the bound only catches a store
    // that waits for a resync instead of following its watch, whatever the machine's load.
    expect(elapsed).toBeLessThan(2_000);
    expect(await Promise.all(linkers.map(body))).toEqual(['green', 'green', 'green']);
    // Each replica published the change with its resourceVersion.
    const applied = events.filter((e) => e.kind === 'applied' && e.version === written.version);
    expect(applied).toHaveLength(3);
    expect(applied[0]).toMatchObject({ router: 'edge', name: 'edge', dtab: '/svc/web=>/#/io.l5d.fs/green' });
  });

  it('a bad dtab is ignored by every replica and reported on the status', async () => {
    const current = (await admin.get(DTAB_V1ALPHA1, 'l5d-system', 'edge'))!;
    await admin.replace(DTAB_V1ALPHA1, { ...current, spec: { dtab: '/svc/web => /#/io.l5d.fs/(' } });
    await until(() => events.filter((e) => e.kind === 'invalid').length === 3);
    expect(await Promise.all(linkers.map(body))).toEqual(['green', 'green', 'green']);
    await until(() =>
      api.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/dtabs/edge/status')),
    );
    let accepted: { status?: string; reason?: string } | undefined;
    for (let i = 0; i < 100 && accepted?.status !== 'False'; i++) {
      accepted = (await admin.get(DTAB_V1ALPHA1, 'l5d-system', 'edge'))?.status?.conditions?.find(
        (c) => c.type === 'Accepted',
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(accepted).toMatchObject({ status: 'False', reason: 'InvalidDtab' });
  });

  it('a write with a stale version is a conflict (409) and changes nothing', async () => {
    const stale = writer.update('edge', Dtab.read('/svc/web => /#/io.l5d.fs/blue'), '1');
    await expect(stale).rejects.toMatchObject({
      code: 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT',
      cause: { status: 409 },
    });
    expect(await Promise.all(linkers.map(body))).toEqual(['green', 'green', 'green']);
  });

  it('a reload of the config dtab keeps the store dentries after it', async () => {
    const { port } = new URL(api.url);
    const store = `    kind: io.l5d.k8s\n    namespace: l5d-system\n    host: 127.0.0.1\n    port: ${port}`;
    const result = await linkers[0]!.reload(
      parseLinkerConfig(configText(dir, store, '/svc/other => /#/io.l5d.fs/blue'), 'linker.yaml', kinds),
    );
    expect(result).toEqual({ kind: 'applied', changes: ['routers[0].dtab'] });
    expect(Dtab.show(linkers[0]!.routers[0]!.dtab)).toBe(
      '/svc/other=>/#/io.l5d.fs/blue;/svc/web=>/#/io.l5d.fs/green',
    );
  });
});

describe('dtabStore io.l5d.fs', () => {
  let dir: string;
  let blue: { server: Server; port: number };
  let green: { server: Server; port: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-dtab-store-fs-'));
    await mkdir(join(dir, 'dtabs'));
    blue = await textBackend('blue');
    green = await textBackend('green');
    await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
    await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
  });
  afterAll(async () => {
    blue.server.close();
    green.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('routes with base ++ the file named after the router, live', async () => {
    await writeFile(join(dir, 'dtabs', 'edge'), '/svc/web => /#/io.l5d.fs/green\n');
    const linker = await Linker.start(
      parseLinkerConfig(
        configText(dir, '    kind: io.l5d.fs\n    dir: dtabs\n    pollIntervalMs: 50'),
        'l.yaml',
        kinds,
      ),
      { kinds, baseDir: dir, noAdmin: true },
    );
    try {
      await until(() => linker.ready);
      const port = linker.routers[0]!.servers[0]!.port;
      expect((await httpGet(port, { path: '/', headers: { host: 'web' } })).body).toBe('green');
      await writeFile(join(dir, 'dtabs', 'edge'), '# back to the base\n');
      await until(() => Dtab.show(linker.routers[0]!.dtab) === '/svc/web=>/#/io.l5d.fs/blue');
      expect((await httpGet(port, { path: '/', headers: { host: 'web' } })).body).toBe('blue');
    } finally {
      await linker.close();
    }
  });

  it('--check: the block is validated, naming the field', async () => {
    const problems = async (store: string) => {
      try {
        const loaded = parseLinkerConfig(configText(dir, store), 'l.yaml', kinds);
        return (await validateLinker(loaded, { kinds, baseDir: dir, noAdmin: true })).map(
          (i) => `${i.line}:${i.column} ${i.path}: ${i.message}`,
        );
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
      }
    };
    expect(await problems('    kind: io.l5d.fs')).toEqual([
      expect.stringMatching(/^10:5 routers\[0\]\.dtabStore: io\.l5d\.fs needs `dir`/),
    ]);
    expect(await problems('    kind: io.l5d.fs\n    dir: missing')).toEqual([
      expect.stringMatching(/routers\[0\]\.dtabStore\.dir: directory .*missing cannot be read/),
    ]);
    expect(await problems('    kind: io.l5d.k8s\n    dir: dtabs')).toEqual([
      expect.stringMatching(/dtabStore\.dir: `dir` is an io\.l5d\.fs option/),
    ]);
    expect(await problems('    kind: namerd')).toEqual([expect.stringMatching(/dtabStore\.kind/)]);
    expect(await problems('    kind: io.l5d.fs\n    dir: dtabs\n    name: Edge_1')).toEqual([
      expect.stringMatching(/DNS-1123/),
    ]);
    expect(await problems('    kind: io.l5d.fs\n    dir: dtabs')).toEqual([]);
  });
});
