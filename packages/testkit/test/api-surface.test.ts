/**
 * API-surface snapshots (issue 12 step 6): one file per package entry point (each `exports`
 * subpath) listing its exported names, their kinds and their declarations (signatures, members,
 * types), so that every change to a public API — a new method, a changed parameter — shows up as a
 * reviewed diff. After an intended change, regenerate and commit the snapshots:
 * `npx vitest run packages/testkit/test/api-surface.test.ts -u` (docs/contributing.md).
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
  // done once here, under its own timeout, rather than inside the first test. Every entry's text
  // is written here too, always in the same order: the checker numbers types as it meets them and
  // writes an inferred union in that order, so a run filtered to one entry (`-t router`) must not
  // ask in another order than the whole run.
  const surfaces = new Map<string, string>();
  beforeAll(() => {
    program.getTypeChecker();
    for (const entry of entries) surfaces.set(entry.source, apiSurface(program, entry.source, root));
  }, 120_000);

  it('reads type-only re-exports as types and merged names as both', () => {
    const dtab = apiSurface(program, join(packagesDir, 'dtab', 'src', 'index.ts'), root);
    expect(dtab).toContain('Path: value+type (const, type alias)\n');
    expect(dtab).toContain('DtabParseErrorInit: type (interface)\n');
    expect(dtab).toContain('DtabParseError: value+type (class)\n');
  });

  it('sees a changed method signature where names and kinds are the same (fixture package)', () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'api-change');
    const change = apiProgram(join(root, 'tsconfig.base.json'), [
      join(fixtures, 'before.ts'),
      join(fixtures, 'after.ts'),
    ]);
    const before = apiSurface(change, join(fixtures, 'before.ts'), root);
    const after = apiSurface(change, join(fixtures, 'after.ts'), root);
    const heads = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith(' '));
    expect(heads(after)).toEqual(heads(before));
    const changed = (a: string, b: string) => a.split('\n').filter((l) => !b.split('\n').includes(l));
    expect(changed(before, after)).toEqual(['    pick(): string | undefined']);
    expect(changed(after, before)).toEqual(['    pick(weight: number): string | undefined']);
    expect(before).toBe(
      [
        'Base: type (interface)',
        '  interface Base<T>',
        '    close?(force: boolean): Promise<void>',
        '    readonly id: string',
        '    items(): readonly T[]',
        'Pool: value+type (class)',
        '  class Pool implements Base<string>',
        '    constructor(id: string)',
        '    readonly id: string',
        '    items(): readonly string[]',
        '    pick(): string | undefined',
        '    get picked(): number',
        'makePool: value (function)',
        '  function makePool(id: string): Pool',
        '',
      ].join('\n'),
    );
  });

  it('writes a member a generic base gives as the checker instantiates it', () => {
    const fixtures = join(import.meta.dirname, 'fixtures', 'api-change');
    const base = apiProgram(join(root, 'tsconfig.base.json'), [join(fixtures, 'base.ts')]);
    const text = apiSurface(base, join(fixtures, 'base.ts'), root);
    expect(text).toContain(
      [
        'Boxes: type (interface)',
        '  interface Boxes extends Base<Box<number>>',
        '    close?(force: boolean): Promise<void>',
        '    readonly id: string',
        '    items(): readonly Box<number>[]',
        '    readonly size: number',
      ].join('\n'),
    );
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
      await expect(surfaces.get(entry.source)).toMatchFileSnapshot(snapshotFile(entry));
    });
  }
});
