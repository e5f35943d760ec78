/**
 * The binary watches its config file: a dtab change applies live, and a broken config is
 * rejected with an error naming file:line:column while the running routes keep serving.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackend, startDemoBackend } from '../src/demo-backends.js';
import { type RunningBinary, startBinary } from './binary.js';
import { curl, eventually } from './http-client.js';

function config(dir: string, target: string, extra = ''): string {
  return `admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  servers:
  - port: 0
    ip: 127.0.0.1
  dtab: /svc/web => /#/io.l5d.fs/${target}
${extra}`;
}

/** Replaces the file atomically, the way editors and Kubernetes ConfigMap mounts do. */
async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('config reload in the running binary', () => {
  let dir: string;
  let binary: RunningBinary;
  const stderr = () => binary.stderr();
  let port: number;
  const backends: DemoBackend[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-reload-'));
    backends.push(await startDemoBackend('v1', 'world'), await startDemoBackend('v2', 'earth'));
    for (const b of backends) await writeFile(join(dir, b.name), `${b.host} ${b.port}\n`);
    await writeFile(join(dir, 'linker.yaml'), config(dir, 'v1'));
    binary = await startBinary(join(dir, 'linker.yaml'));
    port = binary.port;
  }, 60_000);

  afterAll(async () => {
    await binary.stop();
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('applies a dtab change without a restart', async () => {
    expect((await curl(`http://127.0.0.1:${port}/`, { host: 'web' })).body).toBe('world (127.0.0.1)!\n');
    await replace(join(dir, 'linker.yaml'), config(dir, 'v2'));
    await eventually(
      async () => (await curl(`http://127.0.0.1:${port}/`, { host: 'web' })).body.startsWith('earth'),
      20_000,
    );
    expect(stderr()).toContain('"msg":"configuration reloaded"');
  }, 30_000);

  it('rejects a broken config with its position and keeps serving', async () => {
    await replace(join(dir, 'linker.yaml'), config(dir, 'v1', '  clearContxt: true\n'));
    await eventually(async () => stderr().includes('kept the running configuration'), 20_000);
    expect(stderr()).toMatch(/linker\.yaml:\d+:\d+: routers\[0\]\.clearContxt: unknown option/);
    expect((await curl(`http://127.0.0.1:${port}/`, { host: 'web' })).body).toBe('earth (127.0.0.1)!\n');
  }, 30_000);

  it('re-reads the config file on SIGHUP instead of exiting', async () => {
    const reloads = () =>
      stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"configuration reloaded"')).length;
    const before = reloads();
    binary.child.kill('SIGHUP');
    // The file still holds the broken config: SIGHUP re-reads it and keeps the running one.
    await eventually(async () => stderr().split('kept the running configuration').length === 3, 20_000);
    expect(reloads()).toBe(before);
    expect(binary.child.exitCode).toBe(null);
    expect((await curl(`http://127.0.0.1:${port}/`, { host: 'web' })).body).toBe('earth (127.0.0.1)!\n');
  }, 30_000);
});
