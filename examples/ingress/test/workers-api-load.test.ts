/**
 * The Kubernetes API load of a pod does not grow with `--workers`: the same requests, by verb and
 * resource, reach the test API server from `--workers 2` as from the single process — watches
 * (relayed informers), the start-up lists asking which kinds are served (made once by the
 * primary), and nothing per worker.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeKubeApi } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { startPod } from './binary.js';

/** The watched collections once both identifiers and the namer are up. */
const WATCHED = [
  '/api/v1/services',
  '/apis/discovery.k8s.io/v1/endpointslices',
  '/apis/networking.k8s.io/v1/ingresses',
  '/apis/gateway.networking.k8s.io/v1/httproutes',
];

/** Runs the binary with `workers` against a fresh API server; the requests it made, counted. */
async function apiRequests(workers: number): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'sy-workers-api-'));
  const api = await startFakeKubeApi();
  try {
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.k8s, host: 127.0.0.1, port: ${api.port}, allNamespaces: true}
routers:
- protocol: http
  identifier:
  - {kind: io.l5d.ingress, host: 127.0.0.1, port: ${api.port}}
  - {kind: io.l5d.httproute, host: 127.0.0.1, port: ${api.port}, status: {write: false}}
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: /svc => /#/io.l5d.k8s
`,
    );
    const binary = await startPod(join(dir, 'linker.yaml'), { args: ['--workers', String(workers)] });
    try {
      await api.waitFor(() => WATCHED.every((p) => api.activeWatches(p) === 1));
      // Anything still to come at start-up comes now.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const counts: Record<string, number> = {};
      for (const r of api.requests) {
        const key = `${r.method} ${r.path}${r.watch ? ' (watch)' : ''}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    } finally {
      await binary.stop();
    }
  } finally {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('--workers 2: the Kubernetes API sees the pod once', () => {
  it('gets the same requests, by verb and resource, from two workers as from one process', async () => {
    const single = await apiRequests(1);
    const pod = await apiRequests(2);
    // The checks of which kinds are served (limit=1 lists) are among them.
    expect(single['GET /apis/discovery.k8s.io/v1/endpointslices']).toBeGreaterThanOrEqual(2);
    expect(single['GET /apis/gateway.networking.k8s.io/v1/gatewayclasses']).toBeGreaterThanOrEqual(1);
    expect(pod).toEqual(single);
  }, 180_000);
});
