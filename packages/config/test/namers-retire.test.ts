/**
 * The old namers after a `namers` reload (issue 16 item 3): they are closed as soon as no client
 * that still serves a request binds through them, not when `admin.shutdownGraceMs` ends. Seen
 * from the test API server: the watches of an `allNamespaces` io.l5d.k8s namer (which run until
 * the namer closes, not only while observed) stay open while a request bound through it is in
 * flight, and close right after it completes (the grace here is 60 s).
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  type FakeKubeApi,
  kubeEndpointSlice,
  kubeService,
  startFakeKubeApi,
} from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, holdingBackend, listen } from './http.js';

const kinds = createDefaultKinds();

describe('old namers after a namers reload', () => {
  let api: FakeKubeApi;
  let linker: Linker;
  let dir: string;
  let backendPort: number;
  const held: ServerResponse[] = [];
  const backend = holdingBackend('web', held);
  const k8s = () => `admin: {shutdownGraceMs: 60000}
namers:
- {kind: io.l5d.k8s, host: 127.0.0.1, port: ${new URL(api.url).port}, allNamespaces: true}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.k8s/default/http
  servers: [{port: 0, ip: 127.0.0.1}]
`;
  const fs = () => `admin: {shutdownGraceMs: 60000}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs
  servers: [{port: 0, ip: 127.0.0.1}]
`;
  const port = () => linker.routers[0]!.servers[0]!.port;

  beforeAll(async () => {
    backendPort = await listen(backend);
    dir = await mkdtemp(join(tmpdir(), 'sy-namers-retire-'));
    await writeFile(join(dir, 'web'), `127.0.0.1 ${backendPort}\n`);
    api = await startFakeKubeApi();
    api.apply(kubeService('default', 'web'));
    api.apply(kubeEndpointSlice('default', 'web', ['127.0.0.1'], backendPort));
    linker = await Linker.start(parseLinkerConfig(k8s(), 'linker.yaml', kinds), {
      kinds,
      baseDir: dir,
      noAdmin: true,
    });
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.end();
    await linker?.close();
    await api?.close();
    backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('closes the old namers once the last request bound through them completed', async () => {
    expect((await get(port(), { headers: { host: 'web' } })).body).toBe('web');
    const watching = api.activeWatches();
    expect(watching).toBeGreaterThan(0);
    // In flight through the k8s namer's client across the reload.
    const inflight = get(port(), { path: '/hold', headers: { host: 'web' } });
    await eventually(() => held.length === 1, { timeoutMs: 10_000, what: 'the held request at the backend' });

    expect(await linker.reload(parseLinkerConfig(fs(), 'linker.yaml', kinds))).toEqual({
      kind: 'applied',
      changes: ['namers', 'routers[0].dtab'],
    });
    // New requests bind through the new (fs) namer; the old one still serves the held request.
    expect((await get(port(), { headers: { host: 'web' } })).body).toBe('web');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.activeWatches()).toBe(watching);

    const released = Date.now();
    for (const res of held.splice(0)) res.end('released');
    expect((await inflight).body).toBe('released');
    await eventually(() => api.activeWatches() === 0, {
      timeoutMs: 5_000,
      what: "the old k8s namer's watches closed after its last request",
    });
    // Well before the 60 s grace.
    expect(Date.now() - released).toBeLessThan(5_000);
  });
});
