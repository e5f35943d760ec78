/**
 * The README's run command, end to end: `npx -y pnpm@10.34.8 start` from the repository root on
 * a fresh state directory (ephemeral ports, so a running `start` does not collide), answered
 * like the post (world / earth, plain and TLS); a signal to the outermost process (npx) stops
 * the whole npx → pnpm → pnpm → tsx → node chain. Then the binary itself: clean drain on
 * SIGTERM with exit code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl } from './http-client.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ingressDir = fileURLToPath(new URL('../', import.meta.url));

/** Collects a child's output and resolves when `pattern` appears on stdout. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Starts the README's command with ephemeral ports (the user's `start` keeps 4140/4143/9990). */
function startReadmeCommand(home: string): ChildProcess {
  return spawn(
    'npx',
    ['-y', 'pnpm@10.34.8', 'start', '--http-port', '0', '--https-port', '0', '--admin-port', '0'],
    {
      cwd: repoRoot,
      env: { ...process.env, SWITCHYARD_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so the test can see every process of the chain is gone.
      detached: true,
    },
  );
}

/** True while any process of the group led by `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function portOf(banner: string, pattern: RegExp): number {
  return Number(pattern.exec(banner)![1]);
}

describe('the README run command (local default, no Kubernetes)', () => {
  let home: string;
  let child: ChildProcess;
  let banner: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-home-'));
    child = startReadmeCommand(home);
    banner = await waitForOutput(child, /Press Ctrl-C to stop/);
  }, 90_000);

  afterAll(async () => {
    // Only if a test failed before stopping it: clean up the whole group.
    if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  it("prints the post's curl commands and answers them", async () => {
    const http = portOf(banner, /curl http:\/\/localhost:(\d+)\//);
    expect(http).not.toBe(4140);
    expect((await curl(`http://127.0.0.1:${http}/`)).body).toBe('world (127.0.0.1)!\n');
    expect((await curl(`http://127.0.0.1:${http}/`, { host: 'world.v2' })).body).toBe('earth (127.0.0.1)!\n');
  });

  it('terminates TLS with the generated development certificate', async () => {
    const https = portOf(banner, /https:\/\/localhost:(\d+)\//);
    const ca = await readFile(join(home, 'tls', 'tls.crt'));
    const answer = await curl(`https://127.0.0.1:${https}/`, {
      host: 'world.v2',
      ca,
      servername: 'localhost',
    });
    expect(answer.body).toBe('earth (127.0.0.1)!\n');
  });

  it('serves the admin on loopback', async () => {
    const admin = portOf(banner, /Admin dashboard: http:\/\/127\.0\.0\.1:(\d+)\//);
    expect((await curl(`http://127.0.0.1:${admin}/admin/ping`)).body.trim()).toBe('pong');
    expect((await curl(`http://127.0.0.1:${admin}/admin/ready`)).status).toBe(200);
  });

  it('stops, with every process of the chain, on SIGTERM to the outermost process (npx)', async () => {
    const http = portOf(banner, /curl http:\/\/localhost:(\d+)\//);
    process.kill(child.pid!, 'SIGTERM');
    await exitCode(child);
    expect(await groupGone(child.pid!)).toBe(true);
    await expect(curl(`http://127.0.0.1:${http}/`)).rejects.toThrow(/ECONNREFUSED/);
  }, 30_000);
});

describe('the README run command, stopped by SIGINT to its PID', () => {
  it('stops the ingress and every process of the chain', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sy-home-'));
    const child = startReadmeCommand(home);
    try {
      await waitForOutput(child, /Press Ctrl-C to stop/);
      process.kill(child.pid!, 'SIGINT');
      await exitCode(child);
      expect(await groupGone(child.pid!)).toBe(true);
    } finally {
      if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
      await rm(home, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('the switchyard-ingress binary', () => {
  it('drains and exits 0 on SIGTERM, with JSON log lines', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sy-bin-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=switchyard:source',
        'src/main.ts',
        '--state-dir',
        home,
        '--http-port',
        '0',
        '--https-port',
        '0',
        '--admin-port',
        '0',
      ],
      { cwd: ingressDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const banner = await waitForOutput(child, /Press Ctrl-C to stop/);
    const port = Number(/curl http:\/\/localhost:(\d+)\//.exec(banner)![1]);
    expect((await curl(`http://127.0.0.1:${port}/`)).body).toBe('world (127.0.0.1)!\n');
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['serving', 'draining', 'stopped']));
    expect(lines.every((l) => ['debug', 'info', 'warn', 'error'].includes(l.level))).toBe(true);
    await rm(home, { recursive: true, force: true });
  }, 60_000);
});
