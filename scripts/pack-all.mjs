#!/usr/bin/env node
/**
 * Packs every publishable package (`packages/*`) with `pnpm pack` into one directory, the way
 * `pnpm publish` would: `prepack` builds `dist` with tsup, `publishConfig` replaces `exports`,
 * `main`, `module` and `types`, and `workspace:`/`catalog:` ranges become real versions.
 *
 *   node scripts/pack-all.mjs <destination-dir>
 *
 * Prints one JSON line per tarball: `{"name","version","dir","tarball"}`. Exits non-zero when a
 * pack fails. Also importable: `packAll(dest)` resolves to the same records.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PNPM = ['-y', 'pnpm@10.34.8'];

/** The `packages/*` directories whose package.json is not private, with their manifests. */
export async function publishablePackages() {
  const root = join(repoRoot, 'packages');
  const found = [];
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    let manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (manifest.private !== true) found.push({ dir, manifest });
  }
  return found;
}

/** The file name `pnpm pack` gives a package's tarball: `@scope/name` 1.2.3 → `scope-name-1.2.3.tgz`. */
export function tarballName(manifest) {
  return `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
}

function run(cmd, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} failed:\n${stdout}\n${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

/** Packs every publishable package into `dest`, two at a time. */
export async function packAll(dest, { concurrency = 2 } = {}) {
  const target = resolve(dest);
  await mkdir(target, { recursive: true });
  const queue = await publishablePackages();
  const results = [];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { dir, manifest } = next;
      await run('npx', [...PNPM, 'pack', '--pack-destination', target], dir);
      results.push({
        name: manifest.name,
        version: manifest.version,
        dir,
        tarball: join(target, tarballName(manifest)),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = process.argv[2];
  if (dest === undefined) {
    console.error('usage: node scripts/pack-all.mjs <destination-dir>');
    process.exit(2);
  }
  for (const packed of await packAll(dest)) console.log(JSON.stringify(packed));
}
