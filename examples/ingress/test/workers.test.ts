/**
 * `--workers 2` in the running binary: two worker processes serve one port, the primary's admin
 * answers for the pod (metrics, and the dashboard with each worker's load, seen in Chromium), a config change reaches both, a worker killed with SIGKILL is replaced
 * while the other worker's keep-alive connections keep being served, and SIGTERM drains all.
 * With Kubernetes (the test API server): the primary watches once for both workers, a change
 * reaches both, and a killed worker's replacement is handed a snapshot without a new watch.
 */

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DashboardFeed, WorkerFeed } from '@switchyard/admin';
import type { KubeObject } from '@switchyard/k8s';
import {
  chromiumLaunchOptions,
  collectPageErrors,
  type FakeKubeApi,
  startFakeKubeApi,
} from '@switchyard/testkit';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPod, startPod } from './binary.js';
import { curl, eventually } from './http-client.js';

/** Answers of `/hold` requests, waiting until the test releases them. */
const held: (() => void)[] = [];

/** A backend answering its own name; `/slow` answers after 600 ms, `/hold` when released. */
async function backend(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const answer = () => res.end(`${name}\n`);
    if (req.url === '/slow') setTimeout(answer, 600);
    else if (req.url === '/hold') held.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function config(dir: string, target: string): string {
  return `admin: {ip: 127.0.0.1, port: 0, probe: {ip: 127.0.0.1, port: 0, metrics: true}}
telemetry:
- {kind: io.l5d.recentRequests, sampleRate: 1, capacity: 5}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/web => /#/io.l5d.fs/${target}
`;
}

/** One keep-alive connection of its own: every request after the first must reuse its socket. */
function connection(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host: 'web' }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
      });
      req.on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

describe('--workers 2 in the running binary', () => {
  let dir: string;
  let binary: RunningPod;
  let admin: string;
  const backends: { port: number; close: () => Promise<void> }[] = [];
  const workers = () => binary.workers();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-workers-'));
    backends.push(await backend('world'), await backend('earth'));
    await writeFile(join(dir, 'v1'), `127.0.0.1 ${backends[0]!.port}\n`);
    await writeFile(join(dir, 'v2'), `127.0.0.1 ${backends[1]!.port}\n`);
    await writeFile(join(dir, 'linker.yaml'), config(dir, 'v1'));
    binary = await startPod(join(dir, 'linker.yaml'), { args: ['--workers', '2'] });
    admin = binary.admin;
  }, 90_000);

  afterAll(async () => {
    await binary?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves one port from two worker processes and answers metrics for the pod', async () => {
    const before = await workers();
    expect(before.map((w) => w.slot)).toEqual([1, 2]);
    expect(before.every((w) => w.state === 'ready' && w.rssBytes > 0)).toBe(true);
    const pids = new Set(before.map((w) => w.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(binary.child.pid!)).toBe(false);

    // Twenty requests, each on a new connection: the cluster hands connections out in turn.
    for (let i = 0; i < 20; i++)
      expect((await curl(`http://127.0.0.1:${binary.port}/`, { host: 'web' })).body).toBe('world\n');
    const after = await workers();
    // Plus each worker's start-up warm-up request (one 404 per worker, see src/warm-up.ts).
    expect(after.reduce((sum, w) => sum + w.requests, 0)).toBe(20 + 2);
    expect(before.reduce((sum, w) => sum + w.requests, 0)).toBe(2);
    expect(after.every((w) => w.requests > 0)).toBe(true);

    const key = `rt/http/server/127.0.0.1/${binary.port}/requests`;
    const metrics = JSON.parse((await curl(`${admin}/admin/metrics.json`)).body);
    expect(metrics[key]).toBe(22);
    expect(metrics[`rt/http/server/127.0.0.1/${binary.port}/status/2XX`]).toBe(20);
    // The warm-up's host names no service here: an error answer, not logged (the log has no line of it).
    expect(binary.stderr()).not.toContain('switchyard-warm-up');
    expect(binary.stderr()).toContain('"msg":"warmed up","requests":2,');
    const latency = `rt/http/server/127.0.0.1/${binary.port}/request_latency_ms`;
    expect(metrics[`${latency}.count`]).toBe(22);
    // Percentiles come from the merged buckets; the first request (a new backend connection) is
    // the slowest, so the median is below the maximum — unless the +Inf bound was lost in IPC
    // (JSON turns Infinity into null and every percentile into the maximum).
    expect(metrics[`${latency}.p50`]).toBeLessThan(metrics[`${latency}.max`]);
    expect(metrics['workers/count']).toBe(2);
    expect(metrics['workers/1/requests'] + metrics['workers/2/requests']).toBe(22);
    const prometheus = (await curl(`${admin}/admin/metrics/prometheus`)).body;
    expect(prometheus).toContain(`rt_server_requests_total{rt="http",server="127.0.0.1/${binary.port}"} 22`);
    expect(prometheus).toMatch(/rt_server_request_latency_\w+_bucket\{[^}]*le="\+Inf"\} 22/);
    // admin.probe is the primary's too, answering for the pod (a worker's held only its half).
    const probe = /"msg":"admin probe","ip":"127.0.0.1","port":(\d+)/.exec(binary.stderr());
    expect(probe, 'the primary logs its admin probe listener').not.toBeNull();
    const probeUrl = `http://127.0.0.1:${probe![1]}`;
    expect((await curl(`${probeUrl}/admin/metrics/prometheus`)).body).toContain(
      `rt_server_requests_total{rt="http",server="127.0.0.1/${binary.port}"} 22`,
    );
    const probeReady = await curl(`${probeUrl}/admin/ready`);
    expect([probeReady.status, probeReady.body]).toEqual([200, 'ready\n']);
    expect((await curl(`${probeUrl}/admin/ping`)).body).toBe('pong\n');
    expect((await curl(`${probeUrl}/admin/workers.json`)).status).toBe(404);
    // Other admin paths are the workers' own admin, reached through the primary.
    expect((await curl(`${admin}/admin/ping`)).body).toBe('pong\n');
    expect((await curl(`${admin}/admin/workers`)).body).toContain('<th>connections</th>');
  });

  it('answers /admin/requests.json and /admin/ready for the pod, not for one worker', async () => {
    // Eight requests on new connections: the cluster hands them to the two workers in turn.
    for (let i = 1; i <= 8; i++)
      expect((await curl(`http://127.0.0.1:${binary.port}/r${i}`, { host: 'web' })).status).toBe(200);
    const recent: { uri: string; timestamp: number }[] = JSON.parse(
      (await curl(`${admin}/admin/requests.json`)).body,
    );
    // The pod's newest five (one buffer's capacity), from both workers; one worker holds only four of them.
    expect(recent.map((r) => r.uri)).toEqual(['/r8', '/r7', '/r6', '/r5', '/r4']);
    const ready = await curl(`${admin}/admin/ready`);
    expect([ready.status, ready.body]).toEqual([200, 'ready\n']);
  });

  it("the dashboard shows each worker's load next to the pod's total, in Chromium", async () => {
    const dashboard = async (): Promise<DashboardFeed> =>
      JSON.parse((await curl(`${admin}/admin/dashboard.json`)).body);
    const podRequests = async () => (await dashboard()).routers[0]!.requests;
    // Two requests held in flight, on two connections the cluster hands to the workers in turn.
    const holding = [0, 1].map(() => curl(`http://127.0.0.1:${binary.port}/hold`, { host: 'web' }));
    await eventually(async () => held.length === 2);
    const feed = await dashboard();
    const rows = feed.workers ?? [];
    // The header's process figures are the pod's: the primary's pid, every process's memory.
    const workerRss = (await workers()).map((w) => w.rssBytes);
    expect(feed.process.pid).toBe(binary.child.pid);
    expect(feed.process.rssBytes).toBeGreaterThan(Math.max(...workerRss) * 1.5);
    expect(rows.map((w) => [w.slot, w.state, w.restarts])).toEqual([
      [1, 'ready', 0],
      [2, 'ready', 0],
    ]);
    // Every figure is the pod's: the router card counts both workers' requests.
    const sum = (pick: (w: WorkerFeed) => number | undefined) => rows.reduce((n, w) => n + (pick(w) ?? 0), 0);
    expect(sum((w) => w.requests)).toBe(feed.routers[0]!.requests);
    const metrics = JSON.parse((await curl(`${admin}/admin/metrics.json`)).body);
    expect(feed.routers[0]!.requests).toBe(metrics[`rt/http/server/127.0.0.1/${binary.port}/requests`]);
    expect(sum((w) => w.inFlight)).toBe(2);
    expect(rows.every((w) => w.inFlight === 1)).toBe(true);
    expect(feed.routers[0]!.servers[0]!.connections).toBe(sum((w) => w.connections));

    const profile = await mkdtemp(join(tmpdir(), 'sy-chromium-'));
    const context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      collectPageErrors(page, errors);
      const text = (testid: string) => page.locator(`[data-testid="${testid}"]`).first().textContent();
      await page.goto(`${admin}/?refresh=250`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      expect(await text('worker-1-state')).toBe('ready');
      expect(await text('worker-2-state')).toBe('ready');
      expect(await text('worker-1-inflight')).toBe('1');
      expect(await text('worker-2-inflight')).toBe('1');
      expect(await text('pod-inflight')).toBe('2');
      expect(await text('pod-restarts')).toBe('0');
      for (const release of held.splice(0)) release();
      await Promise.all(holding);
      await expect.poll(() => text('pod-inflight'), { timeout: 20_000 }).toBe('0');

      // Traffic on fresh connections (both workers): the pod's requests and rates follow it.
      const before = await podRequests();
      let sending = true;
      const load = (async () => {
        let sent = 0;
        while (sending || sent < 10) {
          await curl(`http://127.0.0.1:${binary.port}/`, { host: 'web' });
          sent++;
        }
        return sent;
      })();
      await expect
        .poll(async () => Number.parseFloat((await text('pod-rps')) ?? ''), { timeout: 20_000 })
        .toBeGreaterThan(0);
      await expect
        .poll(
          async () =>
            Number.parseFloat((await text('worker-1-rps')) ?? '') > 0 &&
            Number.parseFloat((await text('worker-2-rps')) ?? '') > 0,
          { timeout: 20_000 },
        )
        .toBe(true);
      sending = false;
      const sent = await load;
      await expect.poll(() => text('pod-requests'), { timeout: 20_000 }).toBe(String(before + sent));
      await expect.poll(() => text(`requests-http`), { timeout: 20_000 }).toBe(String(before + sent));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  }, 90_000);

  it('applies a config change in every worker from one watch in the primary', async () => {
    await writeFile(join(dir, 'linker.yaml.tmp'), config(dir, 'v2'));
    await rename(join(dir, 'linker.yaml.tmp'), join(dir, 'linker.yaml'));
    await eventually(async () => binary.stderr().includes('"msg":"configuration reloaded"'), 20_000);
    expect(binary.stderr()).toMatch(/"msg":"configuration reloaded".*"workers":2/);
    // New connections land on both workers; every one answers with the new route.
    const bodies = new Set<string>();
    for (let i = 0; i < 8; i++)
      bodies.add((await curl(`http://127.0.0.1:${binary.port}/`, { host: 'web' })).body);
    expect([...bodies]).toEqual(['earth\n']);
  }, 30_000);

  it('re-reads the config file on SIGHUP in the primary and applies it in every worker', async () => {
    const reloads = () => binary.stderr().split('"msg":"configuration reloaded"').length - 1;
    const before = reloads();
    binary.child.kill('SIGHUP');
    await eventually(async () => reloads() === before + 1, 20_000);
    expect(binary.stderr()).toMatch(
      /"msg":"configuration reloaded","result":\{"kind":"unchanged"\},"workers":2/,
    );
    expect(binary.child.exitCode).toBe(null);
  }, 30_000);

  it("replaces a SIGKILLed worker while the other worker's keep-alive connections keep being served", async () => {
    const connections = Array.from({ length: 6 }, () => connection(binary.port));
    for (const c of connections) expect((await c.get()).status).toBe(200);
    const before = await workers();
    expect(before.reduce((sum, w) => sum + w.connections, 0)).toBe(6);
    const victim = before.find((w) => w.connections > 0)!;
    const survivors = 6 - victim.connections;
    expect(survivors).toBeGreaterThan(0);

    // Load on every connection; the victim's are cut, the others must not notice.
    let running = true;
    const outcomes = connections.map(async (c) => {
      let served = 0;
      while (running) {
        try {
          const answer = await c.get();
          if (answer.status !== 200 || !answer.reused) return { broken: true, served };
          served++;
        } catch {
          return { broken: true, served };
        }
      }
      return { broken: false, served };
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The pod's readiness while its worker is replaced: not ready, naming the slot, then ready.
    const readiness: string[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const answer = await curl(`${admin}/admin/ready`);
        readiness.push(`${answer.status} ${answer.body.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    process.kill(victim.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = false;
    const results = await Promise.all(outcomes);
    for (const c of connections) c.close();
    expect(results.filter((r) => r.broken).length).toBe(victim.connections);
    const kept = results.filter((r) => !r.broken);
    expect(kept.length).toBe(survivors);
    expect(kept.every((r) => r.served > 0)).toBe(true);

    await eventually(async () => {
      const now = await workers();
      const slot = now.find((w) => w.slot === victim.slot);
      return now.length === 2 && slot?.state === 'ready' && slot.pid !== victim.pid && slot.restarts === 1;
    }, 30_000);
    await eventually(async () => readiness.at(-1) === '200 ready', 10_000);
    polling = false;
    await poll;
    // Not ready while the slot is replaced, naming it: `(starting)`, or `(unresponsive)` when the
    // probe asked the killed worker before its exit was seen (Node 24 in CI).
    expect(
      readiness.some((r) => r.startsWith('503 not ready:') && r.includes(`worker ${victim.slot} (`)),
    ).toBe(true);
    expect(binary.stderr()).toMatch(/"msg":"worker exited".*"signal":"SIGKILL"/);
    const pod: DashboardFeed = JSON.parse((await curl(`${admin}/admin/dashboard.json`)).body);
    expect(pod.workers?.map((w) => w.restarts)).toEqual([1, 2].map((slot) => (slot === victim.slot ? 1 : 0)));
    expect((await curl(`http://127.0.0.1:${binary.port}/`, { host: 'web' })).status).toBe(200);
  }, 45_000);

  it('drains every worker on SIGTERM: an in-flight request completes, then all processes exit', async () => {
    const pids = (await workers()).map((w) => w.pid);
    const slow = curl(`http://127.0.0.1:${binary.port}/slow`, { host: 'web' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) =>
      binary.child.once('exit', (code) => resolve(code)),
    );
    binary.child.kill('SIGTERM');
    expect((await slow).body).toBe('earth\n');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(binary.stderr()).toMatch(/"msg":"draining","signal":"SIGTERM","workers":2/);
  }, 30_000);
});

describe('--workers 2 with Kubernetes: one set of watches per pod', () => {
  let dir: string;
  let api: FakeKubeApi;
  let binary: RunningPod;
  const backends: { port: number; close: () => Promise<void> }[] = [];
  const workers = () => binary.workers();
  /** Watch requests the API server received, counted by path (query left out). */
  const watchesByPath = (from = 0) => {
    const counts: Record<string, number> = {};
    for (const r of api.requests.slice(from)) if (r.watch) counts[r.path] = (counts[r.path] ?? 0) + 1;
    return counts;
  };
  const objects = (port: number, host: string) => [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'shop', name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: port }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'shop', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'http', port }],
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { namespace: 'shop', name: 'web', annotations: { 'kubernetes.io/ingress.class': 'linkerd' } },
      spec: {
        rules: [
          {
            host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
  /** Asks `count` times, each on a new connection (the cluster hands them to the workers in turn). */
  const askMany = async (host: string, count: number) => {
    const bodies: string[] = [];
    for (let i = 0; i < count; i++)
      bodies.push((await curl(`http://127.0.0.1:${binary.port}/`, { host })).body);
    return bodies;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-workers-k8s-'));
    backends.push(await backend('world'), await backend('earth'));
    api = await startFakeKubeApi();
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.k8s, host: 127.0.0.1, port: ${api.port}, allNamespaces: true}
routers:
- protocol: http
  identifier: {kind: io.l5d.ingress, host: 127.0.0.1, port: ${api.port}}
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: /svc => /#/io.l5d.k8s
  dtabStore: {kind: io.l5d.k8s.configMap, host: 127.0.0.1, port: ${api.port}, namespace: l5d-system, name: l5d-dtab}
`,
    );
    binary = await startPod(join(dir, 'linker.yaml'), { args: ['--workers', '2'] });
  }, 90_000);

  afterAll(async () => {
    await binary?.stop();
    await api?.close();
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('the API server sees one watch per resource for two workers, and a change reaches both', async () => {
    const paths = [
      '/api/v1/services',
      '/apis/discovery.k8s.io/v1/endpointslices',
      '/apis/networking.k8s.io/v1/ingresses',
      // The router's dtab store (a ConfigMap): relayed like the namer's and identifier's informers.
      '/api/v1/namespaces/l5d-system/configmaps',
    ];
    await api.waitFor(() => paths.every((p) => api.activeWatches(p) === 1));
    const watched = watchesByPath();
    for (const p of paths) expect(watched[p], `${p} in ${JSON.stringify(watched)}`).toBe(1);
    // No resource is watched more than once (two workers would make every count 2).
    expect(Math.max(...Object.values(watched))).toBe(1);

    for (const o of objects(backends[0]!.port, 'shop.test')) api.apply(o as KubeObject);
    await eventually(async () => (await askMany('shop.test', 1))[0] === 'world\n', 10_000);
    const before = await workers();
    expect(await askMany('shop.test', 10)).toEqual(Array(10).fill('world\n'));
    const after = await workers();
    // Both workers answered from the relayed objects.
    for (const w of after) {
      const was = before.find((b) => b.slot === w.slot)!;
      expect(w.requests - was.requests, `slot ${w.slot}`).toBeGreaterThan(0);
    }
    // A change (the endpoint moves) reaches both workers through the one watch.
    api.apply(objects(backends[1]!.port, 'shop.test')[1] as KubeObject);
    await eventually(async () => (await askMany('shop.test', 4)).every((b) => b === 'earth\n'), 10_000);
    expect(await askMany('shop.test', 10)).toEqual(Array(10).fill('earth\n'));
    expect(Math.max(...Object.values(watchesByPath()))).toBe(1);
  }, 60_000);

  it("a killed worker's replacement gets a snapshot from the primary, with no new watch", async () => {
    const seen = api.requests.length;
    const victim = (await workers())[0]!;
    process.kill(victim.pid, 'SIGKILL');
    await eventually(async () => {
      const now = await workers();
      const slot = now.find((w) => w.slot === victim.slot);
      return now.length === 2 && slot?.state === 'ready' && slot.pid !== victim.pid;
    }, 30_000);
    // The replacement routes to what it was handed (the survivor's leases kept the watches).
    const before = await workers();
    expect(await askMany('shop.test', 10)).toEqual(Array(10).fill('earth\n'));
    const after = await workers();
    const replacement = after.find((w) => w.slot === victim.slot)!;
    expect(replacement.requests - before.find((w) => w.slot === victim.slot)!.requests).toBeGreaterThan(0);
    expect(watchesByPath(seen)).toEqual({});
  }, 45_000);
});
