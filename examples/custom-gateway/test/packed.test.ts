/**
 * The packages as a user gets them from npm, outside the workspace: packs every `@switchyard/*`
 * package (`scripts/pack-all.mjs`, which runs `prepack`), installs the tarballs with plain
 * `npm install <tarballs>` into an empty temp project whose `.npmrc` points the `@switchyard`
 * scope at a dead registry (so only the tarballs can satisfy it; third-party dependencies come
 * from the npm registry or cache), then type-checks this example's `src/gateway.ts` plus a small
 * `main.ts` against the published `.d.ts` as an ESM (`"type": "module"`) and as a CommonJS
 * project (module node16), runs both and routes traffic through them to a real backend. The
 * TypeScript examples in every shipped README are type-checked too.
 *
 * Slow (it builds every package): skipped when `CI_SKIP_PACK=1`. With `SWITCHYARD_TARBALLS=<dir>`
 * the tarballs are packed into that directory and left there (`.ci/run` reuses them).
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const exampleSrc = resolve(import.meta.dirname, '..', 'src');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const API_KEY = 'packed-key';
/** Each package's `dist`: `pnpm pack` (prepack) rebuilds it, so a build in progress changes it. */
const packageDists = readdirSync(join(repoRoot, 'packages')).map((p) =>
  join(repoRoot, 'packages', p, 'dist'),
);

interface Packed {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
}

interface Result {
  readonly code: number;
  readonly output: string;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/**
 * How long a set-up step may go without progress before it counts as hung. Not a speed bound: a
 * step may take as long as a loaded machine needs while it makes progress (a new tarball, a new
 * installed package); one package's pack (a tsup build) took up to ~2 min at load 20.
 */
const STALL_MS = 10 * 60_000;
/**
 * A tsc run over the installed packages' `.d.ts`: a hang bound, not a speed one (the CJS variant
 * took 89 s and the README examples 62 s at load ~17, next to a 120 s timeout).
 */
const TSC_TIMEOUT_MS = 10 * 60_000;

/**
 * `run`, but killed (exit code 124, the reason appended to the output) when `progress()` has not
 * changed for {@link STALL_MS}: a hang fails the set-up with its cause, slowness does not.
 */
function runWatched(
  cmd: string,
  args: readonly string[],
  cwd: string,
  progress: () => Promise<string>,
): Promise<Result & { readonly ms: number }> {
  const started = performance.now();
  return new Promise((done) => {
    let stalled = false;
    const child = execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      clearInterval(watch);
      const output = `${stdout}${stderr}${stalled ? `\n(killed: no progress for ${STALL_MS / 1000} s)` : ''}`;
      done({
        code: stalled ? 124 : error ? Number(error.code ?? 1) : 0,
        output,
        ms: performance.now() - started,
      });
    });
    let last = '';
    let changedAt = performance.now();
    let checking = false;
    const watch = setInterval(() => {
      if (checking) return;
      checking = true;
      void progress()
        .catch(() => '')
        .then((now) => {
          checking = false;
          if (now !== last) {
            last = now;
            changedAt = performance.now();
          } else if (performance.now() - changedAt > STALL_MS) {
            stalled = true;
            child.kill('SIGKILL');
          }
        });
    }, 2_000);
  });
}

/** The entries of `dir`, sorted and joined (empty when it does not exist yet): progress of a step. */
async function listing(dir: string): Promise<string> {
  return (await readdir(dir).catch(() => [])).sort().join(' ');
}

/** The ~20-line program both variants compile and run: starts the example gateway, prints its URL. */
const MAIN_TS = `import { startGateway } from './gateway.js';

/** Starts the gateway on port 0 and prints where it listens; SIGTERM closes it. */
async function main(): Promise<void> {
  const [discoveryDir, apiKey] = process.argv.slice(2);
  if (discoveryDir === undefined || apiKey === undefined) {
    throw new Error('usage: node dist/main.js <discovery-dir> <api-key>');
  }
  const gateway = await startGateway({ discoveryDir, apiKeys: [apiKey] });
  process.stdout.write(\`\${JSON.stringify({ url: gateway.url, adminUrl: gateway.adminUrl })}\\n\`);
  process.once('SIGTERM', () => {
    void gateway.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

function tsconfig(extra: Record<string, unknown> = {}) {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'node16',
        moduleResolution: 'node16',
        types: ['node'],
        strict: true,
        // Check the published declaration files too, not only the program.
        skipLibCheck: false,
        rootDir: 'src',
        outDir: 'dist',
        ...extra,
      },
      include: ['src'],
    },
    null,
    2,
  )}\n`;
}

interface Backend {
  readonly port: number;
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startBackend(name: string): Promise<Backend> {
  const seen: IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.end(`${name} ${req.url}`));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Runs `node dist/main.js`, waits for its URL line, and returns it with a stop function. */
async function startProgram(dir: string, discoveryDir: string) {
  const child = spawn(process.execPath, ['dist/main.js', discoveryDir, API_KEY], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const started = await new Promise<{ url: string; adminUrl: string }>((done, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined)
        done(JSON.parse(line) as { url: string; adminUrl: string });
    });
    void exited.then((code) => fail(new Error(`${dir}: node dist/main.js exited ${code}: ${out}${err}`)));
  });
  return {
    ...started,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await exited, stderr: err };
    },
  };
}

interface Manifest {
  readonly name: string;
  readonly exports: Record<string, string | Record<string, string>>;
  readonly files: readonly string[];
  readonly scripts: Record<string, string>;
  readonly publishConfig?: { readonly exports?: Record<string, unknown> };
}

/** Fast, never skipped: the published manifest each package.json describes (no packing). */
describe('publishable package manifests', async () => {
  const names = (await readdir(join(repoRoot, 'packages'))).sort();
  const manifests = await Promise.all(
    names.map(
      async (name) =>
        JSON.parse(await readFile(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as Manifest,
    ),
  );

  it.each(manifests.map((m) => [m.name, m] as const))(
    '%s publishes every exports subpath from dist, with per-format types',
    (_, manifest) => {
      const published = manifest.publishConfig?.exports ?? {};
      expect(Object.keys(published).sort()).toEqual(Object.keys(manifest.exports).sort());
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (typeof target === 'string') {
          expect(published[subpath]).toBe(target);
          continue;
        }
        // The source condition stays in the workspace; npm users get the built files.
        expect(published[subpath]).toEqual({
          import: { types: target.types, default: target.import },
          require: { types: target.types?.replace(/\.d\.ts$/, '.d.cts'), default: target.require },
        });
      }
      expect(manifest.files).toEqual(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md']);
      expect(manifest.scripts.prepack).toBe('tsup');
    },
  );
});

describe.skipIf(process.env.CI_SKIP_PACK === '1')(
  'packed packages installed with npm outside the workspace',
  () => {
    let work: string;
    let app: string;
    let packed: Packed[];
    let install: Result;
    let backend: Backend;
    let discoveryDir: string;

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'switchyard-packed-'));
      // CI hands the same directory to `check:packages`, which then checks these tarballs
      // instead of packing (and building) all of them a second time.
      const tarballs = process.env.SWITCHYARD_TARBALLS ?? join(work, 'tarballs');
      const pack = await runWatched(
        process.execPath,
        [join(repoRoot, 'scripts', 'pack-all.mjs'), tarballs],
        repoRoot,
        // Each package packed is a new tarball; its build writes the package's dist.
        async () =>
          `${await listing(tarballs)} | ${(await Promise.all(packageDists.map(listing))).join(' ')}`,
      );
      if (pack.code !== 0) throw new Error(`packing failed:\n${pack.output}`);
      packed = pack.output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Packed);

      // An empty project outside the workspace: the ESM and CJS variants are two folders of it.
      app = join(work, 'app');
      await mkdir(app, { recursive: true });
      await writeFile(join(app, 'package.json'), '{ "name": "packed-app", "private": true }\n');
      // Nothing but the tarballs may provide @switchyard/*: the scope's registry does not exist.
      await writeFile(join(app, '.npmrc'), '@switchyard:registry=http://127.0.0.1:9/\nfetch-retries=0\n');
      const typesNode = JSON.parse(
        await readFile(join(repoRoot, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
      ) as { version: string };
      const installing = await runWatched(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          ...packed.map((p) => p.tarball),
          `@types/node@${typesNode.version}`,
        ],
        app,
        // Each package npm unpacks is a new folder.
        async () =>
          `${await listing(join(app, 'node_modules'))} ${await listing(join(app, 'node_modules', '@switchyard'))}`,
      );
      install = installing;
      console.log(
        `packed-install set-up: pack ${(pack.ms / 1000).toFixed(0)} s, npm install ${(installing.ms / 1000).toFixed(0)} s`,
      );
      if (install.code !== 0) throw new Error(`npm install failed:\n${install.output}`);

      for (const variant of ['esm', 'cjs'] as const) {
        const dir = join(app, variant);
        await mkdir(join(dir, 'src'), { recursive: true });
        await cp(join(exampleSrc, 'gateway.ts'), join(dir, 'src', 'gateway.ts'));
        await writeFile(join(dir, 'src', 'main.ts'), MAIN_TS);
        const type = variant === 'esm' ? 'module' : 'commonjs';
        await writeFile(
          join(dir, 'package.json'),
          `{ "name": "packed-${variant}", "private": true, "type": "${type}" }\n`,
        );
        await writeFile(join(dir, 'tsconfig.json'), tsconfig());
      }

      backend = await startBackend('users-v1');
      discoveryDir = join(work, 'discovery');
      await mkdir(discoveryDir);
      await writeFile(join(discoveryDir, '.users.tmp'), `127.0.0.1 ${backend.port}\n`);
      await rename(join(discoveryDir, '.users.tmp'), join(discoveryDir, 'users'));
      // Builds and packs 14 packages, then an npm install: on 2 shared cores next to another test
      // file (CI runs two at a time) this took over 10 minutes under load. Its time is printed,
      // not bounded: a hung step fails through `runWatched` (no progress for STALL_MS); the hook's
      // own timeout is only a last resort far above any progressing run.
    }, 60 * 60_000);

    afterAll(async () => {
      await backend?.close();
      if (work !== undefined) await rm(work, { recursive: true, force: true });
    });

    it('packs every package with dist, LICENSE and real versions, and no sources', async () => {
      const names = (await readdir(join(repoRoot, 'packages'))).sort();
      expect(packed.map((p) => p.name)).toEqual(names.map((n) => `@switchyard/${n}`));
      for (const p of packed) {
        const listing = await run('tar', ['-tzf', p.tarball], work);
        const files = listing.output.split('\n').filter(Boolean);
        expect(files, p.name).toContain('package/LICENSE');
        expect(files, p.name).toContain('package/dist/index.d.cts');
        expect(
          files.filter((f) => f.startsWith('package/src/')),
          p.name,
        ).toEqual([]);
        const manifest = await readFile(join(app, 'node_modules', p.name, 'package.json'), 'utf8');
        expect(manifest, p.name).not.toMatch(/workspace:|catalog:/);
        const { exports } = JSON.parse(manifest) as { exports: unknown };
        expect(JSON.stringify(exports), p.name).not.toContain('switchyard:source');
      }
    });

    it('installs @switchyard/* from the tarballs only', async () => {
      const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; resolved?: string }>;
      };
      const installed = Object.entries(lock.packages).filter(([path]) =>
        path.includes('node_modules/@switchyard/'),
      );
      // One copy of each package, at the top level, resolved from a local tarball.
      expect(installed.map(([path]) => path).sort()).toEqual(
        packed.map((p) => `node_modules/${p.name}`).sort(),
      );
      for (const [path, entry] of installed) expect(entry.resolved, path).toMatch(/^file:/);
    });

    it.each(['esm', 'cjs'] as const)(
      'type-checks and builds the gateway as %s against the published types',
      async (variant) => {
        const dir = join(app, variant);
        const build = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
        expect(build.output).toBe('');
        expect(build.code).toBe(0);
        const js = await readFile(join(dir, 'dist', 'gateway.js'), 'utf8');
        if (variant === 'cjs') expect(js).toContain('require("@switchyard/router")');
        else expect(js).toContain("from '@switchyard/router'");
      },
      TSC_TIMEOUT_MS,
    );

    it.each(['esm', 'cjs'] as const)(
      'runs the %s gateway and routes traffic to the backend',
      async (variant) => {
        const program = await startProgram(join(app, variant), discoveryDir);
        try {
          const ok = await fetch(`${program.url}/api/users/42`, { headers: { 'x-api-key': API_KEY } });
          expect({ status: ok.status, body: await ok.text() }).toEqual({ status: 200, body: 'users-v1 /42' });
          expect(backend.seen.at(-1)?.['l5d-dst-service']).toBe('/svc/api/users');
          const denied = await fetch(`${program.url}/api/users/42`);
          expect(denied.status).toBe(401);
          const ping = await fetch(`${program.adminUrl}/admin/ping`);
          expect(await ping.text()).toBe('pong\n');
        } finally {
          const stopped = await program.stop();
          expect(stopped).toEqual({ code: 0, stderr: '' });
        }
      },
      30_000,
    );

    it(
      'type-checks the TypeScript examples of every shipped README',
      async () => {
        const dir = join(app, 'readme');
        await mkdir(join(dir, 'src'), { recursive: true });
        await writeFile(
          join(dir, 'package.json'),
          '{ "name": "packed-readme", "private": true, "type": "module" }\n',
        );
        await writeFile(join(dir, 'tsconfig.json'), tsconfig({ noEmit: true }));
        let count = 0;
        for (const p of packed) {
          const readme = await readFile(join(app, 'node_modules', p.name, 'README.md'), 'utf8');
          const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
          expect(blocks.length, `${p.name} README has a TypeScript example`).toBeGreaterThan(0);
          for (const [i, block] of blocks.entries()) {
            // Each block is its own module (`export {}` keeps top-level names apart).
            await writeFile(
              join(dir, 'src', `${p.name.split('/')[1]}-${i + 1}.ts`),
              `${block}\nexport {};\n`,
            );
            count++;
          }
        }
        const check = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
        expect(check.output).toBe('');
        expect(check.code).toBe(0);
        expect(count).toBeGreaterThanOrEqual(packed.length);
      },
      TSC_TIMEOUT_MS,
    );
  },
);
