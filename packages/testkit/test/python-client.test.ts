/**
 * The official Python client (Debian's python3-kubernetes) against the test API server: list, and
 * `watch.Watch().stream(...)`, which sends `watch=True` — a spelling the server must decode as
 * kube-apiserver does. Skipped, with the reason in the suite name, when no Python has the module.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeKubeApi, startFakeKubeApi } from '../src/index.js';
import { type KubeHome, kubeHome } from './real-clients.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/python-list-watch.py', import.meta.url));

/** The first Python that imports `kubernetes` (pyenv shims may hide Debian's module). */
function findPython(): string | undefined {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import kubernetes'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = findPython();

let api: FakeKubeApi | undefined;
let home: KubeHome | undefined;
afterEach(async () => {
  await api?.close();
  home?.cleanup();
});

describe.skipIf(python === undefined)(
  `python3-kubernetes${python ? '' : ' (skipped: no python3 with the kubernetes module; run .ci/k8s-clients.sh)'}`,
  () => {
    it('lists, then watch=True streams ADDED for the current state and later changes', {
      timeout: 60_000,
    }, async () => {
      api = await startFakeKubeApi();
      home = kubeHome(api.url);
      api.apply({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' } });
      const child = spawn(python!, [SCRIPT, home.kubeconfig, '20', '3'], { env: home.env });
      const lines: Record<string, unknown>[] = [];
      let buf = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let i = buf.indexOf('\n');
        while (i >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await api.waitFor(() => api!.activeWatches('/api/v1/namespaces/default/services') === 1);
      api.apply({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'default', name: 'web', labels: { v: '2' } },
      });
      api.delete('Service', 'default', 'web');
      expect(await exited, stderr).toBe(0);
      expect(lines[0]).toEqual({ list: ['web'] });
      expect(lines.at(-1)).toEqual({
        done: [
          ['ADDED', 'web'],
          ['MODIFIED', 'web'],
          ['DELETED', 'web'],
        ],
      });
      const watch = api.requests.find((r) => r.watch);
      expect(watch?.query.watch).toBe('True');
    });
  },
);
