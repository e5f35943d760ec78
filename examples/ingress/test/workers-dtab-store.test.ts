/**
 * The dtab store's report writes (#17 item 2): under `--workers 2` a bad dtab in the store is
 * reported (the ConfigMap's `switchyard.dev/dtab-rejected` annotation) by the pod's leading worker
 * only, one write instead of one per worker; a single process, which runs no election for it,
 * still writes it. Against the test API server, counting its writes of that ConfigMap.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@switchyard/k8s';
import { type FakeKubeApi, startFakeKubeApi } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPod, startPod } from './binary.js';
import { curl, eventually } from './http-client.js';

const REJECTED = 'switchyard.dev/dtab-rejected';
const CONFIG_MAP = '/api/v1/namespaces/l5d-system/configmaps/edge';

function configMap(dtab: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace: 'l5d-system', name: 'edge' },
    data: { dtab },
  } as KubeObject;
}

describe.each([
  { what: '--workers 2: the leading worker alone', args: ['--workers', '2'] },
  { what: 'a single process', args: [] },
])('dtab store reports: $what', ({ args }) => {
  let dir: string;
  let api: FakeKubeApi;
  let binary: RunningPod;
  /** PUT/PATCH requests for the store's ConfigMap since `from`. */
  const writes = (from: number) =>
    api.requests
      .slice(from)
      .filter((r) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.split('?')[0] === CONFIG_MAP)
      .length;
  const rejected = () =>
    api.get<KubeObject>('ConfigMap', 'l5d-system', 'edge')?.metadata.annotations?.[REJECTED];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-workers-dtab-store-'));
    api = await startFakeKubeApi();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'l5d-system' } } as KubeObject);
    api.apply(configMap('/svc/web => /$/inet/127.0.0.1/9'));
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: edge
  dtab: /svc => /$/inet/127.0.0.1/9
  dtabStore: {kind: io.l5d.k8s.configMap, namespace: l5d-system, host: 127.0.0.1, port: ${api.port}}
  servers: [{port: 0, ip: 127.0.0.1}]
`,
    );
    // startPod resolves once the admin serves (a single process logs its admin URL too).
    binary = await startPod(join(dir, 'linker.yaml'), { args });
  }, 90_000);

  afterAll(async () => {
    await binary?.stop();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the rejection of a bad dtab once', async () => {
    // Ready: every worker's store (or the process's) has read the good dtab.
    await eventually(async () => (await curl(`${binary.admin}/admin/ready`)).status === 200, 20_000);
    const from = api.requests.length;
    api.apply(configMap('/svc/web => /$/inet/127.0.0.1/('));
    await eventually(async () => rejected() !== undefined, 10_000);
    expect(rejected()).toMatch(/^dtab store: ConfigMap l5d-system\/edge: data\.dtab: /);
    // Long enough for a second worker's write (both see the same relayed event) to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(writes(from)).toBe(1);
  }, 30_000);
});
