/**
 * `workers:` changed by a reload in the running binary: 2 → 3 starts a third worker (ready
 * before the pod counts it), 3 → 1 drains two (gracefully), while a load loop on fresh
 * connections sees no failure; `/admin/ready`, `/admin/workers.json` and the pod's metrics
 * follow, and the counters keep what the retired workers served. A change of `workers.listen`
 * stays refused at file:line:col.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, parseCommand } from '../src/cli.js';
import { run } from '../src/run.js';
import { listenHasReusePort } from '../src/workers/count.js';
import { type RunningPod, startPod } from './binary.js';
import { curl, eventually, freshGet as fresh } from './http-client.js';

function config(dir: string, workers: string): string {
  return `admin: {ip: 127.0.0.1, port: 0}
workers: ${workers}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
routers:
- protocol: http
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: /svc/web => /#/io.l5d.fs/web
`;
}

describe('workers: a reload changes the pod’s worker count', () => {
  let dir: string;
  let pod: RunningPod;
  let backend: http.Server;
  const file = () => join(dir, 'linker.yaml');
  const rewrite = async (text: string) => {
    await writeFile(`${file()}.next`, text);
    await rename(`${file()}.next`, file());
  };
  const metrics = async () => JSON.parse((await curl(`${pod.admin}/admin/metrics.json`)).body);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-workers-reload-'));
    backend = http.createServer((_req, res) => res.end('world\n'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    await writeFile(join(dir, 'web'), `127.0.0.1 ${(backend.address() as AddressInfo).port}\n`);
    await writeFile(file(), config(dir, '2'));
    pod = await startPod(file());
  }, 90_000);

  afterAll(async () => {
    if (process.env.SY_DEBUG_LOG) await writeFile(process.env.SY_DEBUG_LOG, pod?.stderr() ?? '');
    await pod?.stop();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('2 → 3 → 1 under load: no request fails, readiness and metrics follow', async () => {
    expect((await pod.workers()).map((w) => [w.slot, w.state])).toEqual([
      [1, 'ready'],
      [2, 'ready'],
    ]);
    // Two loops of requests, each on a new connection, across both reloads.
    const outcomes: string[] = [];
    let running = true;
    const loops = Array.from({ length: 2 }, async () => {
      while (running) outcomes.push(await fresh(pod.port));
    });
    const readiness: string[] = [];
    const poll = (async () => {
      while (running) {
        const answer = await curl(`${pod.admin}/admin/ready`);
        readiness.push(`${answer.status} ${answer.body.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await eventually(async () => outcomes.length >= 20, 20_000);

    await rewrite(config(dir, '3'));
    await eventually(async () => {
      const rows = await pod.workers();
      return rows.length === 3 && rows.every((w) => w.state === 'ready');
    }, 90_000);
    expect(pod.stderr()).toMatch(/"msg":"workers","from":2,"to":3/);
    const three = await pod.workers();
    expect(three.map((w) => w.slot)).toEqual([1, 2, 3]);
    expect(new Set(three.map((w) => w.pid)).size).toBe(3);
    // The added worker serves its share of new connections.
    const servedBy3 = three[2]!.requests;
    await eventually(async () => (await pod.workers())[2]!.requests > servedBy3 + 2, 20_000);
    expect((await metrics())['workers/count']).toBe(3);
    const ready3 = await curl(`${pod.admin}/admin/ready`);
    expect([ready3.status, ready3.body]).toEqual([200, 'ready\n']);

    await rewrite(config(dir, '1'));
    await eventually(async () => (await pod.workers()).length === 1, 30_000);
    expect(pod.stderr()).toMatch(/"msg":"workers","from":3,"to":1/);
    expect(
      pod
        .stderr()
        .match(/"msg":"worker retired","slot":\d/g)
        ?.sort(),
    ).toEqual(['"msg":"worker retired","slot":2', '"msg":"worker retired","slot":3']);
    const one = await pod.workers();
    expect(one.map((w) => [w.slot, w.pid, w.state])).toEqual([[1, three[0]!.pid, 'ready']]);
    const after = outcomes.length;
    await eventually(async () => outcomes.length >= after + 20, 20_000);
    running = false;
    await Promise.all([...loops, poll]);

    // No request failed, whatever worker took it, across both changes.
    expect(outcomes.filter((o) => o !== '200')).toEqual([]);
    // The pod stayed ready: an added worker counts once ready, a retiring one no more.
    expect(readiness.filter((r) => !r.startsWith('200'))).toEqual([]);
    const ready1 = await curl(`${pod.admin}/admin/ready`);
    expect([ready1.status, ready1.body]).toEqual([200, 'ready\n']);
    const m = await metrics();
    expect(m['workers/count']).toBe(1);
    expect(m['workers/2/requests']).toBeUndefined();
    // Every request the pod served is counted, those of the retired workers too, plus one
    // start-up warm-up request per worker started (three).
    expect(m[`rt/http/server/127.0.0.1/${pod.port}/requests`]).toBe(outcomes.length + 3);
    expect(m[`rt/http/server/127.0.0.1/${pod.port}/status/2XX`]).toBe(outcomes.length);
  }, 240_000);

  it.skipIf(!listenHasReusePort())(
    `refuses a change of workers.listen at file:line:col, keeping the running config${listenHasReusePort() ? '' : ' (skipped: Node < 22.12 refuses reusePort itself)'}`,
    async () => {
      const kept = () => pod.stderr().split('"msg":"kept the running configuration"').length - 1;
      const before = kept();
      const workersBefore = await pod.workers();
      await rewrite(config(dir, '{count: 1, listen: reusePort}').replace('port: 0,', 'port: 18081,'));
      await eventually(async () => kept() > before, 20_000);
      expect(pod.stderr()).toContain(
        `${file()}:2:29: workers.listen: changing workers.listen (cluster to reusePort) needs a restart: the kernel lets a port be shared only by sockets that all set SO_REUSEPORT`,
      );
      expect(await pod.workers()).toMatchObject(workersBefore.map((w) => ({ slot: w.slot, pid: w.pid })));
      expect(await fresh(pod.port)).toBe('200');
    },
    30_000,
  );
});

describe('workers: a reload asking a single process for workers', () => {
  it('is refused at file:line:col (a single process cannot start workers); the process keeps serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-workers-single-'));
    const file = join(dir, 'linker.yaml');
    await writeFile(join(dir, 'web'), '127.0.0.1 1\n');
    await writeFile(file, config(dir, '1'));
    let stderr = '';
    const signals = new EventEmitter();
    const running = run(
      parseCommand(['--config', file]),
      {
        stdout: () => undefined,
        stderr: (t) => {
          stderr += t;
        },
      },
      signals,
    );
    try {
      await eventually(async () => stderr.includes('"msg":"admin"'), 30_000);
      await writeFile(`${file}.next`, config(dir, '2'));
      await rename(`${file}.next`, file);
      await eventually(async () => stderr.includes('"msg":"kept the running configuration"'), 20_000);
      expect(stderr).toContain(
        `${file}:2:10: workers: workers: 2 needs a restart: this process was started as a single process, which cannot start workers`,
      );
      const port = Number(/"msg":"serving".*?"port":(\d+)/.exec(stderr)![1]);
      expect(await fresh(port)).toBe('502');
    } finally {
      signals.emit('SIGTERM', 'SIGTERM');
      expect(await running).toBe(EXIT.ok);
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
