/**
 * `workers: {count: 2, listen: reusePort}` in the running binary (Node >= 22.12): each worker
 * binds its own SO_REUSEPORT socket on the port (two listening sockets, one per worker process,
 * none in the primary — read from /proc), the kernel spreads new connections over both, and a
 * worker killed with SIGKILL takes only its own socket with it: the other keeps serving new
 * connections and the replacement binds again. Node 20 has no `reusePort` (refused at --check,
 * tested in cli.test.ts), so this file is skipped there with the reason in its name.
 */

import { mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenHasReusePort } from '../src/workers/count.js';
import { type RunningPod, startPod, type WorkerRow } from './binary.js';
import { eventually, freshGet as fresh } from './http-client.js';

/** A port free right now (reusePort needs a fixed port: port 0 would give each worker its own). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Inodes of the TCP sockets listening on 127.0.0.1:`port` (/proc/net/tcp, state 0A). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const rows = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
  return new Set(
    rows
      .map((row) => row.trim().split(/\s+/))
      .filter((f) => f[1] === local && f[3] === '0A')
      .map((f) => f[9]!),
  );
}

/** The socket inodes a process holds open. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return new Set(links.flatMap((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1] ?? []));
}

const supported = listenHasReusePort();
const title = supported
  ? 'workers.listen: reusePort in the running binary'
  : `workers.listen: reusePort (skipped: Node ${process.versions.node} has no server.listen reusePort, needs >= 22.12)`;

describe.skipIf(!supported)(title, () => {
  let dir: string;
  let binary: RunningPod;
  let port: number;
  let backend: http.Server;
  const workers = () => binary.workers();
  /** For each worker pid, the listening sockets on the port it holds. */
  const owners = async (pids: readonly number[]) => {
    const listening = await listeningInodes(port);
    const held = await Promise.all(
      pids.map(async (pid) => [...(await socketInodes(pid))].filter((i) => listening.has(i))),
    );
    return { listening, held };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-reuseport-'));
    backend = http.createServer((_req, res) => res.end('world\n'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    await writeFile(join(dir, 'web'), `127.0.0.1 ${(backend.address() as AddressInfo).port}\n`);
    port = await freePort();
    await writeFile(
      join(dir, 'linker.yaml'),
      `admin: {ip: 127.0.0.1, port: 0}
workers: {count: 2, listen: reusePort}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
routers:
- protocol: http
  servers: [{port: ${port}, ip: 127.0.0.1}]
  dtab: /svc/web => /#/io.l5d.fs/web
`,
    );
    binary = await startPod(join(dir, 'linker.yaml'));
  }, 90_000);

  afterAll(async () => {
    await binary?.stop();
    backend?.closeAllConnections();
    await new Promise((resolve) => backend?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('binds one listening socket per worker process, none in the primary, and both workers serve', async () => {
    const rows = await workers();
    expect(rows.map((w) => w.state)).toEqual(['ready', 'ready']);
    const { listening, held } = await owners(rows.map((w) => w.pid));
    expect(listening.size).toBe(2);
    expect(held.map((h) => h.length)).toEqual([1, 1]);
    expect(new Set(held.flat()).size).toBe(2);
    expect([...(await socketInodes(binary.child.pid!))].filter((i) => listening.has(i))).toEqual([]);

    // New connections are spread by the kernel's 4-tuple hash: with 40, both get some.
    const statuses = await Promise.all(Array.from({ length: 40 }, () => fresh(port)));
    expect(statuses.every((s) => s === '200')).toBe(true);
    const served = (await workers()).map((w) => w.requests);
    expect(served.every((n) => n > 0)).toBe(true);
  });

  it("a reload that changes a server in place keeps each worker's own socket (still reusePort)", async () => {
    const before = await listeningInodes(port);
    const reloads = () => binary.stderr().split('"msg":"configuration reloaded"').length - 1;
    const seen = reloads();
    const file = join(dir, 'linker.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(
      `${file}.next`,
      text.replace('ip: 127.0.0.1}]', 'ip: 127.0.0.1, requestTimeoutMs: 7000}]'),
    );
    await rename(`${file}.next`, file);
    await eventually(async () => reloads() > seen, 20_000);
    expect(binary.stderr()).not.toMatch(/kept the running configuration/);
    expect(await listeningInodes(port)).toEqual(before);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => fresh(port)));
    expect(statuses.every((s) => s === '200')).toBe(true);
  }, 30_000);

  it('a SIGKILLed worker takes only its socket: the other serves every new connection, the replacement binds again', async () => {
    const before = await workers();
    const [victim, survivor] = before as [WorkerRow, WorkerRow];
    process.kill(victim.pid, 'SIGKILL');
    await eventually(async () => (await listeningInodes(port)).size === 1, 10_000);
    // Only the survivor's socket is left: every new connection reaches it.
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fresh(port)));
    expect(statuses).toEqual(Array.from({ length: 20 }, () => '200'));
    expect((await owners([survivor.pid])).held[0]!.length).toBe(1);

    await eventually(async () => {
      const now = await workers();
      const slot = now.find((w) => w.slot === victim.slot);
      return slot?.state === 'ready' && slot.pid !== victim.pid && slot.restarts === 1;
    }, 30_000);
    const after = await workers();
    const { listening, held } = await owners(after.map((w) => w.pid));
    expect(listening.size).toBe(2);
    expect(held.map((h) => h.length)).toEqual([1, 1]);
    expect(after.find((w) => w.slot === survivor.slot)!.pid).toBe(survivor.pid);
    expect(binary.stderr()).toMatch(/"msg":"worker exited".*"signal":"SIGKILL"/);
    const more = await Promise.all(Array.from({ length: 20 }, () => fresh(port)));
    expect(more.every((s) => s === '200')).toBe(true);
  }, 45_000);
});
