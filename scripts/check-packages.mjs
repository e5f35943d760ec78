#!/usr/bin/env node
/**
 * `pnpm check:packages`: packs every publishable package the way `pnpm publish` would, then checks
 * each tarball — what a user installing it from npm gets:
 *
 * - publint (every message level, suggestions included) on the tarball;
 * - @arethetypeswrong/cli, profile `node16` (node16 ESM, node16 CJS and bundler resolution);
 * - our own rules: the manifest's exports have no `switchyard:source` condition and no `workspace:` or
 *   `catalog:` ranges, every `exports` target is in the tarball, no `src/` is shipped, and
 *   `LICENSE`, `README.md` and `CHANGELOG.md` are; the manifest keeps no dev `scripts` (the
 *   `.pnpmfile.cjs` beforePacking hook strips them); every shipped source map is self-contained
 *   (each source it names is shipped or carried in `sourcesContent`, since `src/` is not shipped);
 * - in the workspace: `publishConfig.exports` has the same subpaths as `exports` (so a subpath
 *   added to `exports` cannot be forgotten in the published manifest).
 *
 * Prints one line per finding and a summary; exits 1 when anything is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packAll, publishablePackages, repoRoot, tarballName } from './pack-all.mjs';

const problems = [];
const report = (pkg, what) => problems.push(`${pkg}: ${what}`);

function run(cmd, args, cwd) {
  return new Promise((resolvePromise) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolvePromise({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Every string target of an exports map (conditions nested at any depth). */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(targets);
}

/** Workspace-side rules, before packing. */
async function checkWorkspaceManifest({ dir, manifest }) {
  const name = manifest.name;
  const published = manifest.publishConfig?.exports;
  if (published === undefined) report(name, 'package.json: publishConfig.exports is missing');
  else {
    const dev = Object.keys(manifest.exports ?? {}).sort();
    const pub = Object.keys(published).sort();
    if (dev.join() !== pub.join())
      report(name, `package.json: exports has [${dev}] but publishConfig.exports has [${pub}]`);
  }
  if (manifest.scripts?.prepack === undefined) report(name, 'package.json: no prepack script builds dist');
  if ((manifest.files ?? []).some((f) => f.replace(/^!/, '').startsWith('src')))
    report(name, 'package.json: files ships src/');
  if (manifest.repository?.directory !== `packages/${dir.split('/').at(-1)}`)
    report(name, 'package.json: repository.directory does not name the package directory');
}

/** Tarball-side rules on the unpacked `package/` directory. */
async function checkTarball(name, root, listing) {
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  // Scripts may use the condition (benchmarks run from a clone); what resolves imports may not.
  const resolved = JSON.stringify([manifest.exports, manifest.main, manifest.module, manifest.types]);
  if (resolved.includes('switchyard:source'))
    report(name, 'tarball package.json keeps the switchyard:source condition in exports');
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {}))
      if (/^(workspace|catalog):/.test(range)) report(name, `tarball ${field}.${dep} is still "${range}"`);
  }
  const shipped = new Set(listing);
  for (const target of [...targets(manifest.exports), manifest.main, manifest.module, manifest.types].filter(
    Boolean,
  )) {
    if (!shipped.has(target.replace(/^\.\//, '')))
      report(name, `tarball lacks ${target}, named in package.json`);
  }
  if (listing.some((f) => f.startsWith('src/'))) report(name, 'tarball ships src/');
  const devScripts = Object.keys(manifest.scripts ?? {}).filter(
    (script) => !['preinstall', 'install', 'postinstall'].includes(script),
  );
  if (devScripts.length > 0) report(name, `tarball package.json ships dev scripts: ${devScripts.join(', ')}`);
  for (const file of listing.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(await readFile(join(root, file), 'utf8'));
    for (const [i, source] of (map.sources ?? []).entries()) {
      const path = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      if (!shipped.has(path) && typeof map.sourcesContent?.[i] !== 'string')
        report(name, `${file} names ${source}, which is neither shipped nor in sourcesContent`);
    }
  }
  for (const required of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'])
    if (!shipped.has(required)) report(name, `tarball lacks ${required}`);
  const license = await readFile(join(root, 'LICENSE'), 'utf8').catch(() => '');
  if (!license.includes('Apache License') || !license.includes('END OF TERMS AND CONDITIONS'))
    report(name, 'LICENSE is not the full Apache-2.0 text');
  return manifest;
}

/**
 * Tarballs already packed in this CI run (`SWITCHYARD_TARBALLS`, written by the packed-install
 * test): used only when there is exactly one for every publishable package at its current version.
 */
async function reusableTarballs(packages) {
  const dir = process.env.SWITCHYARD_TARBALLS;
  if (dir === undefined || dir === '') return undefined;
  const present = new Set(await readdir(dir).catch(() => []));
  const records = packages.map(({ dir: pkgDir, manifest }) => {
    const file = tarballName(manifest);
    return { name: manifest.name, version: manifest.version, dir: pkgDir, tarball: join(dir, file), file };
  });
  if (records.some((r) => !present.has(r.file))) return undefined;
  return records.map(({ file: _file, ...record }) => record).sort((a, b) => a.name.localeCompare(b.name));
}

const started = Date.now();
const work = await mkdtemp(join(tmpdir(), 'switchyard-check-packages-'));
try {
  const packages = await publishablePackages();
  for (const pkg of packages) await checkWorkspaceManifest(pkg);

  const reused = await reusableTarballs(packages);
  const packed = reused ?? (await packAll(join(work, 'tarballs')));
  if (reused)
    console.log(
      `checking ${packed.length} tarballs packed earlier in this run, in ${process.env.SWITCHYARD_TARBALLS}`,
    );
  else console.log(`packed ${packed.length} packages in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  const attw = join(repoRoot, 'node_modules', '.bin', 'attw');
  const summary = [];
  for (const { name, tarball } of packed) {
    const unpacked = join(work, 'unpacked', name);
    await mkdir(unpacked, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', unpacked], repoRoot);
    const list = await run('tar', ['-tzf', tarball], repoRoot);
    const listing = list.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const manifest = await checkTarball(name, join(unpacked, 'package'), listing);

    const data = await readFile(tarball);
    const lint = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    for (const message of lint.messages)
      report(name, `publint ${message.type}: ${formatMessage(message, manifest, { color: false })}`);

    const types = await run(
      attw,
      [
        tarball,
        '--profile',
        'node16',
        '--no-definitely-typed',
        '--format',
        'ascii',
        '--no-color',
        '--no-emoji',
      ],
      repoRoot,
    );
    if (types.code !== 0)
      report(name, `attw (node16 profile) found problems:\n${types.stdout}${types.stderr}`);
    const size = (await stat(tarball)).size;
    summary.push(
      `${name}@${manifest.version}: ${listing.length} files, ${(size / 1024).toFixed(1)} kB; publint ${lint.messages.length} messages; attw ${types.code === 0 ? 'no problems' : 'PROBLEMS'} (${Object.keys(manifest.exports).length - 1} entry points × node16-cjs, node16-esm, bundler)`,
    );
  }
  for (const line of summary) console.log(line);
} finally {
  await rm(work, { recursive: true, force: true });
}

for (const problem of problems) console.error(problem);
console.log(
  `check:packages: ${problems.length === 0 ? 'ok' : `${problems.length} problems`} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
process.exit(problems.length === 0 ? 0 : 1);
