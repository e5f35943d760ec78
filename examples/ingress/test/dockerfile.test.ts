/**
 * The image runs what the tests run. There is no Docker engine here, so the Dockerfile is read:
 * its build stage's command is run as written (the same `pnpm --filter switchyard-ingress build`
 * of the same tsup config over the same sources), and the bundle it produces is started the way
 * the image's ENTRYPOINT starts it, from the layout the runtime stage copies (dist/, package.json,
 * k8s/), and answers like the post. .dockerignore keeps the host's node_modules and dist out of
 * the context and nothing the Dockerfile copies.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { curl } from './http-client.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ingressDir = fileURLToPath(new URL('../', import.meta.url));
const dockerfile = readFileSync(join(ingressDir, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');

/** The Dockerfile's instructions, `\` continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.trim().split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });
const stages = instructions.reduce<{ op: string; args: string }[][]>((acc, i) => {
  if (i.op === 'FROM') acc.push([]);
  acc.at(-1)!.push(i);
  return acc;
}, []);
const [buildStage, runtimeStage] = stages as [{ op: string; args: string }[], { op: string; args: string }[]];

/** The build stage's RUN, split at `&&`: install, then the build. */
const buildCommands = buildStage
  .filter((i) => i.op === 'RUN')
  .flatMap((i) => i.args.split('&&').map((c) => c.trim()));
const BUILD = 'npx -y pnpm@10.34.8 --filter switchyard-ingress build';
const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const ingressManifest = JSON.parse(readFileSync(join(ingressDir, 'package.json'), 'utf8'));

/** `["node", "--enable-source-maps", "dist/main.js"]` */
const entrypoint: string[] = JSON.parse(runtimeStage.find((i) => i.op === 'ENTRYPOINT')!.args);

describe('the Dockerfile, read', () => {
  it("builds with the repository's pnpm and the package's build script (tsup over src/main.ts)", () => {
    expect(buildCommands).toContain(BUILD);
    expect(rootManifest.packageManager).toBe('pnpm@10.34.8');
    expect(ingressManifest.scripts.build).toBe('tsup');
    expect(readFileSync(join(ingressDir, 'tsup.config.ts'), 'utf8')).toMatch(/entry: \['src\/main\.ts'\]/);
  });

  it('copies into the runtime image the files the entrypoint reads, from the build stage', () => {
    const copies = runtimeStage.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toEqual([
      '--from=build /src/examples/ingress/dist ./dist',
      '--from=build /src/examples/ingress/package.json ./package.json',
      '--from=build /src/examples/ingress/k8s ./k8s',
    ]);
    expect(entrypoint).toEqual(['node', '--enable-source-maps', 'dist/main.js']);
    expect(runtimeStage.find((i) => i.op === 'USER')!.args).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('.dockerignore keeps node_modules and dist out, and nothing the build stage copies', () => {
    const patterns = dockerignore.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
    const sources = buildStage
      .filter((i) => i.op === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
      .filter((s) => !s.startsWith('--'));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      // A pattern equal to a copied path (or a parent of it) would empty the COPY.
      for (const pattern of patterns)
        expect(source === pattern || source.startsWith(`${pattern}/`)).toBe(false);
    }
  });
});

describe('the bundle the Dockerfile builds', () => {
  it('is built by the Dockerfile build command and answers like the post when started as the ENTRYPOINT', async () => {
    await promisify(execFile)('bash', ['-c', BUILD], { cwd: repoRoot });
    const home = await mkdtemp(join(tmpdir(), 'sy-bundle-'));
    const [command, ...args] = entrypoint;
    const child = spawn(
      command === 'node' ? process.execPath : command!,
      [...args, '--state-dir', home, '--http-port', '0', '--https-port', '0', '--admin-port', '0'],
      // The runtime stage's WORKDIR holds dist/, package.json and k8s/, as examples/ingress does.
      { cwd: ingressDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Press Ctrl-C to stop')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the bundle exited with ${code}: ${out}`)));
      });
      const port = Number(/curl http:\/\/localhost:(\d+)\//.exec(out)![1]);
      expect((await curl(`http://127.0.0.1:${port}/`)).body).toBe('world (127.0.0.1)!\n');
      expect((await curl(`http://127.0.0.1:${port}/`, { host: 'world.v2' })).body).toBe(
        'earth (127.0.0.1)!\n',
      );
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(home, { recursive: true, force: true });
    }
  }, 180_000);
});
