/**
 * API-surface snapshots (issue 12 step 6): one file per package entry point (each `exports`
 * subpath) listing its exported names and their kinds, so that every change to a public API shows
 * up as a reviewed diff. After an intended change, regenerate and commit the snapshots:
 * `npx vitest run packages/testkit/test/api-surface.test.ts -u`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiProgram, apiSurface } from './api-surface.js';

const root = join(import.meta.dirname, '..', '..', '..');
const packagesDir = join(root, 'packages');

interface Entry {
  readonly pkg: string;
  readonly subpath: string;
  readonly source: string;
}

const entries: Entry[] = readdirSync(packagesDir)
  .filter((name) => statSync(join(packagesDir, name)).isDirectory())
  .sort()
  .flatMap((pkg) => {
    const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8'));
    return Object.entries<Record<string, string> | string>(manifest.exports ?? {}).flatMap(
      ([subpath, target]) =>
        typeof target === 'object' && target['switchyard:source'] !== undefined
          ? [{ pkg, subpath, source: join(packagesDir, pkg, target['switchyard:source']) }]
          : [],
    );
  });

/** `@switchyard/namers/k8s` → `namers/k8s.api.txt`; the root entry is `index`. */
function snapshotFile(entry: Entry): string {
  const name = entry.subpath === '.' ? 'index' : entry.subpath.slice(2).replaceAll('/', '-');
  return join(import.meta.dirname, '__api__', entry.pkg, `${name}.api.txt`);
}

describe('API surface', () => {
  const program = apiProgram(
    join(root, 'tsconfig.base.json'),
    entries.map((e) => e.source),
  );

  // Binding every source file of the workspace takes seconds (12 s seen on a loaded machine):
  // done once here, under its own timeout, rather than inside the first test.
  beforeAll(() => {
    program.getTypeChecker();
  }, 120_000);

  it('reads type-only re-exports as types and merged names as both', () => {
    const dtab = apiSurface(program, join(packagesDir, 'dtab', 'src', 'index.ts'));
    expect(dtab).toContain('Path: value+type (const, type alias)\n');
    expect(dtab).toContain('DtabParseErrorInit: type (interface)\n');
    expect(dtab).toContain('DtabParseError: value+type (class)\n');
  });

  it('has a snapshot for no entry point that is gone (a removed subpath takes its snapshot along)', () => {
    const api = join(import.meta.dirname, '__api__');
    const expected = new Set(entries.map(snapshotFile));
    const stale = readdirSync(api)
      .flatMap((pkg) => readdirSync(join(api, pkg)).map((file) => join(api, pkg, file)))
      .filter((file) => !expected.has(file));
    expect(stale).toEqual([]);
  });

  for (const entry of entries) {
    it(`@switchyard/${entry.pkg}${entry.subpath === '.' ? '' : entry.subpath.slice(1)}`, async () => {
      await expect(apiSurface(program, entry.source)).toMatchFileSnapshot(snapshotFile(entry));
    });
  }
});
