/**
 * `@switchyard/testkit/fake-kube-api` carries the test API server and nothing else of the testkit:
 * programs that serve it outside a test runner (the ingress binary's `--kube-api` mode) must not
 * pull fast-check, Pebble or the test PKI into their bundle. Checked on the import graph (every
 * file the entry reaches, dynamic imports included) and on the binary's sources.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importGraph, typeScriptFiles } from '../../../scripts/import-graph.mjs';

const root = join(import.meta.dirname, '..', '..', '..');

/** Non-relative specifiers (`node:` builtins left out) imported by `file`. */
function packageImports(file: string): string[] {
  return ts
    .preProcessFile(readFileSync(file, 'utf8'), true, true)
    .importedFiles.map((r) => r.fileName)
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
}

describe('@switchyard/testkit/fake-kube-api entry', () => {
  it('reaches only the test API server modules, @switchyard/core, @switchyard/k8s and yaml', () => {
    const src = join(root, 'packages', 'testkit', 'src');
    const graph = importGraph(typeScriptFiles(src));
    const entry = join(src, 'fake-kube-api.ts');
    const reached = new Set<string>();
    const visit = (f: string) => {
      if (reached.has(f)) return;
      reached.add(f);
      for (const g of graph.get(f) ?? []) visit(g);
    };
    visit(entry);
    const outside = [...reached]
      .filter((f) => f !== entry && !f.startsWith(`${join(src, 'fake-kube-api')}/`))
      .map((f) => f.slice(src.length + 1));
    expect(outside).toEqual([]);
    const packages = new Set([...reached].flatMap(packageImports));
    expect([...packages].sort()).toEqual(['@switchyard/core', '@switchyard/k8s', 'yaml']);
  });

  it('is what the ingress binary imports (never the testkit root, which brings fast-check)', () => {
    const src = join(root, 'examples', 'ingress', 'src');
    const testkit = typeScriptFiles(src).flatMap((f) =>
      packageImports(f)
        .filter((s) => s.startsWith('@switchyard/testkit'))
        .map((s) => `${f.slice(src.length + 1)}: ${s}`),
    );
    expect(testkit).toEqual(['local-kube-api.ts: @switchyard/testkit/fake-kube-api']);
  });
});
