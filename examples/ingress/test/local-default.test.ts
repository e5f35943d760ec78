/**
 * The README's run command, end to end: `npx -y pnpm@10.34.8 start` from the repository root on
 * a fresh state directory, answered like the post (world / earth, plain and TLS), then the
 * binary itself: clean drain on SIGTERM with exit code 0.
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

describe('the README run command (local default, no Kubernetes)', () => {
  let home: string;
  let child: ChildProcess;
  let banner: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-home-'));
    child = spawn('npx', ['-y', 'pnpm@10.34.8', 'start'], {
      cwd: repoRoot,
      env: { ...process.env, SWITCHYARD_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    banner = await waitForOutput(child, /Press Ctrl-C to stop/);
  }, 90_000);

  afterAll(async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      await exitCode(child);
    }
    await rm(home, { recursive: true, force: true });
  });

  it("prints the post's curl commands and answers them", async () => {
    expect(banner).toContain('curl http://localhost:4140/');
    expect((await curl('http://127.0.0.1:4140/')).body).toBe('world (127.0.0.1)!\n');
    expect((await curl('http://127.0.0.1:4140/', { host: 'world.v2' })).body).toBe('earth (127.0.0.1)!\n');
  });

  it('terminates TLS on 4143 with the generated development certificate', async () => {
    const ca = await readFile(join(home, 'tls', 'tls.crt'));
    const answer = await curl('https://127.0.0.1:4143/', { host: 'world.v2', ca, servername: 'localhost' });
    expect(answer.body).toBe('earth (127.0.0.1)!\n');
  });

  it('serves the admin on 127.0.0.1:9990', async () => {
    expect((await curl('http://127.0.0.1:9990/admin/ping')).body.trim()).toBe('pong');
    expect((await curl('http://127.0.0.1:9990/admin/ready')).status).toBe(200);
  });
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
