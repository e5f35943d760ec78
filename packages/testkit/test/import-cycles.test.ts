/**
 * No import cycles between the files of a package (issue 12 step 4, STYLE.md "Import cycles"):
 * type-only imports count too, since a cycle of types still means two modules that cannot be read
 * one without the other. Shared types go in their own module (dtab's `ast.ts`). The graph is
 * `scripts/import-graph.mjs`'s, which also prints it (`node scripts/import-graph.mjs`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { importCycles, importGraph, projects, typeScriptFiles } from '../../../scripts/import-graph.mjs';

const root = join(import.meta.dirname, '..', '..', '..');

/**
 * Cycles being fixed on other branches, each with who owns the fix; the lead deletes an entry
 * when its fix merges (the test then fails until the entry is gone, so stale entries cannot pile up).
 */
const knownCycles: Record<string, { owner: string; files: string[] }[]> = {};

describe('import cycles', () => {
  it('finds a cycle through a type-only import and an export-from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-cycles-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    writeFileSync(join(dir, 'b.ts'), "export { c as B } from './c.js';\n");
    writeFileSync(
      join(dir, 'c.ts'),
      "// import './a.js' in a comment is not an import\nexport const c = 1;\n",
    );
    writeFileSync(join(dir, 'd.ts'), "export const d = () => import('./d.js');\n");
    expect(importCycles(importGraph(typeScriptFiles(dir)), dir)).toEqual([['d.ts']]);
    writeFileSync(join(dir, 'c.ts'), "import type { A } from './a.js';\nexport const c: A | 1 = 1;\n");
    expect(importCycles(importGraph(typeScriptFiles(dir)), dir)).toEqual([
      ['a.ts', 'b.ts', 'c.ts'],
      ['d.ts'],
    ]);
  });

  for (const { name, dir } of projects(root)) {
    it(`${name} has no import cycles between its files`, () => {
      const cycles = importCycles(importGraph(typeScriptFiles(dir)), root);
      const known = (knownCycles[name] ?? []).map((entry) => entry.files);
      expect(cycles).toEqual(known);
    });
  }
});
