/**
 * Workspace rules that keep the packages small and layered (STYLE.md items 1, 10 and 12):
 * the dependency DAG (and docs/architecture.md's picture of it), explicit public APIs, and
 * docs/errors.md listing every error code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  importedWorkspacePackages,
  isProductionSource,
  packagesMermaid,
  typeScriptFiles,
} from '../../../scripts/import-graph.mjs';

const root = join(import.meta.dirname, '..', '..', '..');
const packagesDir = join(root, 'packages');

/** Allowed `@switchyard/*` dependencies of each package (runtime and source imports). */
const allowed: Record<string, readonly string[]> = {
  dtab: [],
  core: ['dtab'],
  k8s: ['core'],
  balancers: ['core'],
  tls: ['core'],
  namers: ['core', 'dtab', 'k8s'],
  identifiers: ['core', 'dtab', 'k8s'],
  router: ['core', 'dtab', 'balancers'],
  telemetry: ['core', 'dtab'],
  admin: ['core', 'dtab', 'telemetry'],
  config: [
    'core',
    'dtab',
    'k8s',
    'balancers',
    'tls',
    'namers',
    'identifiers',
    'router',
    'telemetry',
    'admin',
    'acme',
    'limits',
  ],
  testkit: ['core', 'dtab', 'k8s'],
  acme: ['core', 'k8s'],
  limits: ['core', 'dtab'],
};

function packageNames(): string[] {
  return readdirSync(packagesDir).filter((name) => statSync(join(packagesDir, name)).isDirectory());
}

/** The production `.ts` files under `dir`, as scripts/import-graph.mjs reads them. */
function productionFiles(dir: string): string[] {
  return typeScriptFiles(dir).filter(isProductionSource);
}

describe('workspace', () => {
  it('knows every package', () => {
    expect(packageNames().sort()).toEqual(Object.keys(allowed).sort());
  });

  it("docs/architecture.md's graph is the packages' import graph (node scripts/import-graph.mjs --mermaid)", () => {
    const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    const drawn = doc.match(/^```mermaid\ngraph BT\n[\s\S]*?^```$/m)?.[0];
    expect(drawn).toBe(packagesMermaid(root));
  });

  it("docs/architecture.md's dependency table says what this test allows", () => {
    const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    const documented: Record<string, readonly string[]> = {};
    for (const [, name, deps] of doc.matchAll(/^\| `([a-z0-9-]+)` +\| ([^|]+)\|/gm)) {
      const list = deps!.trim();
      documented[name!] =
        list === '—'
          ? []
          : list === 'all of the above'
            ? ['*']
            : list.split(',').map((d) => d.trim().replaceAll('`', ''));
    }
    const expected = Object.fromEntries(
      Object.entries(allowed).map(([name, deps]) => [name, name === 'config' ? ['*'] : [...deps].sort()]),
    );
    const actual = Object.fromEntries(
      Object.entries(documented).map(([name, deps]) => [name, [...deps].sort()]),
    );
    expect(actual).toEqual(expected);
  });

  for (const name of packageNames()) {
    describe(name, () => {
      const pkg = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'));

      it('declares only allowed @switchyard dependencies', () => {
        const declared = Object.keys(pkg.dependencies ?? {})
          .filter((dep) => dep.startsWith('@switchyard/'))
          .map((dep) => dep.slice('@switchyard/'.length));
        expect(declared.filter((dep) => !allowed[name]!.includes(dep))).toEqual([]);
      });

      it('imports only allowed @switchyard packages from production source', () => {
        const offenders = productionFiles(join(packagesDir, name, 'src')).flatMap((file) =>
          importedWorkspacePackages(file)
            .filter((dep) => dep !== name && !allowed[name]!.includes(dep))
            .map((dep) => `${relative(root, file)} imports @switchyard/${dep}`),
        );
        expect(offenders).toEqual([]);
      });

      it('has a public API of explicit exports with a source condition', () => {
        expect(pkg.sideEffects).toBe(false);
        for (const [subpath, target] of Object.entries<Record<string, string> | string>(pkg.exports)) {
          if (subpath === './package.json') continue;
          expect(typeof target).toBe('object');
          const conditions = Object.keys(target as Record<string, string>);
          expect(conditions[0]).toBe('switchyard:source');
          const source = join(packagesDir, name, (target as Record<string, string>)['switchyard:source']!);
          expect(statSync(source).isFile()).toBe(true);
        }
        const reExportAll = productionFiles(join(packagesDir, name, 'src')).filter((file) =>
          /^\s*export\s*\*/m.test(readFileSync(file, 'utf8')),
        );
        expect(reExportAll.map((file) => relative(root, file))).toEqual([]);
      });
    });
  }

  it('dtab has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(packagesDir, 'dtab', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
  });

  describe('docs/errors.md and the code agree', () => {
    const documented = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const sources = [...productionFiles(packagesDir), ...productionFiles(join(root, 'examples'))];
    /** Every code string in production source, with the first file that has it. */
    const inSource = new Map<string, string>();
    for (const file of sources) {
      for (const match of readFileSync(file, 'utf8').matchAll(/['"`](SY_ERR_[A-Z0-9_]+)['"`]/g)) {
        if (!inSource.has(match[1]!)) inSource.set(match[1]!, relative(root, file));
      }
    }

    it('lists every error code defined in the packages', () => {
      const missing = [...inSource]
        .filter(([code]) => !documented.includes(`\`${code}\``))
        .map(([code, file]) => `${code} (${file})`);
      expect(missing).toEqual([]);
    });

    it('documents no code that the source does not have', () => {
      const codes = new Set(
        [...documented.matchAll(/`(SY_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*)`/g)].map((m) => m[1]!),
      );
      expect(codes.size).toBeGreaterThan(0);
      expect([...codes].filter((code) => !inSource.has(code))).toEqual([]);
    });
  });
});
