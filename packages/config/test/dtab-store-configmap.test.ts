/**
 * `routers[].dtabStore` of kind `io.l5d.k8s.configMap`: two linkers (replicas) against the test
 * API server route by the config's dtab ++ the ConfigMap's, live; and a store that never answers
 * makes readiness say why.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dtab } from '@switchyard/dtab';
import {
  createKubeClient,
  defineResource,
  type KubeClient,
  type KubeObject,
  urlConfig,
} from '@switchyard/k8s';
import { CONFIG_MAP_V1, createConfigMapDtabStore, type DtabStore } from '@switchyard/namers/dtab-store';
import { eventually, type FakeKubeApi, freePort, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, textBackend } from './http.js';

const kinds = createDefaultKinds();
const NAMESPACE_V1 = defineResource<KubeObject>({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});

function configText(dir: string, store: string, admin = ''): string {
  return `${admin}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: edge
  dtab: /svc/web => /#/io.l5d.fs/blue
  dtabStore:
${store}
  servers:
  - port: 0
    ip: 127.0.0.1
`;
}

describe('dtabStore io.l5d.k8s.configMap', () => {
  let dir: string;
  let api: FakeKubeApi;
  let admin: KubeClient;
  let writer: DtabStore;
  let blue: { server: Server; port: number };
  let green: { server: Server; port: number };
  const linkers: Linker[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-dtab-cm-'));
    blue = await textBackend('blue');
    green = await textBackend('green');
    await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
    await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
    api = await startFakeKubeApi();
    admin = createKubeClient(urlConfig(api.url));
    await admin.create(NAMESPACE_V1, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'l5d-system' },
    });
    writer = createConfigMapDtabStore({ client: admin, namespace: 'l5d-system', filename: 'dtab.txt' });
  });

  afterAll(async () => {
    await Promise.all(linkers.map((l) => l.close()));
    await writer.close();
    await admin.close();
    await api.close();
    blue.server.close();
    green.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('every replica routes by the ConfigMap dentries appended to the config dtab, live', async () => {
    const { port } = new URL(api.url);
    const store = `    kind: io.l5d.k8s.configMap\n    namespace: l5d-system\n    filename: dtab.txt\n    host: 127.0.0.1\n    port: ${port}`;
    for (let i = 0; i < 2; i++) {
      linkers.push(
        await Linker.start(parseLinkerConfig(configText(dir, store), 'linker.yaml', kinds), {
          kinds,
          baseDir: dir,
          noAdmin: true,
        }),
      );
    }
    await eventually(() => linkers.every((l) => l.ready));
    const body = async (l: Linker) =>
      (await get(l.routers[0]!.servers[0]!.port, { headers: { host: 'web' } })).body;
    expect(await Promise.all(linkers.map(body))).toEqual(['blue', 'blue']);

    const written = await writer.update('edge', Dtab.read('/svc/web => /#/io.l5d.fs/green'), undefined);
    const expected = '/svc/web=>/#/io.l5d.fs/blue;/svc/web=>/#/io.l5d.fs/green';
    await eventually(() => linkers.every((l) => Dtab.show(l.routers[0]!.dtab) === expected));
    expect(await Promise.all(linkers.map(body))).toEqual(['green', 'green']);
    expect((await admin.get(CONFIG_MAP_V1, 'l5d-system', 'edge'))!.data).toEqual({
      'dtab.txt': '/svc/web=>/#/io.l5d.fs/green',
    });

    // A change made with kubectl-style edits reaches them too; a stale store write conflicts.
    const current = (await admin.get(CONFIG_MAP_V1, 'l5d-system', 'edge'))!;
    await admin.replace(CONFIG_MAP_V1, { ...current, data: { 'dtab.txt': '' } });
    await eventually(() =>
      linkers.every((l) => Dtab.show(l.routers[0]!.dtab) === '/svc/web=>/#/io.l5d.fs/blue'),
    );
    await expect(writer.update('edge', Dtab.empty, written.version)).rejects.toMatchObject({
      code: 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT',
    });
  });

  it('readiness says why while the store has never answered', async () => {
    const port = await freePort();
    const store = `    kind: io.l5d.k8s.configMap\n    namespace: l5d-system\n    host: 127.0.0.1\n    port: ${port}`;
    const linker = await Linker.start(
      parseLinkerConfig(configText(dir, store, 'admin:\n  ip: 127.0.0.1\n  port: 0'), 'linker.yaml', kinds),
      { kinds, baseDir: dir },
    );
    linkers.push(linker);
    const adminPort = linker.admin!.address!.port;
    let answer = await get(adminPort, { path: '/admin/ready' });
    await eventually(
      async () => {
        answer = await get(adminPort, { path: '/admin/ready' });
        return /ECONNREFUSED|connect/i.test(answer.body);
      },
      { timeoutMs: 8000, what: () => `readiness naming the cause (last: ${answer.body.trim()})` },
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/^not ready: .*dtab store of edge \(ConfigMap watch: .+\)/);
    expect(linker.ready).toBe(false);
  });
});
