/**
 * The admin's source reads one way (issue 12 item 1): server.ts → routes/ → dashboard/, with the
 * modules directly in src/ shared below all three. The dashboard's client imports only types
 * from dashboard/document.ts and the shared views, never a route. Also the ~300-line rule: a
 * longer file says why at its top.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderGraph, importGraph, typeScriptFiles } from '../../../scripts/import-graph.mjs';

const admin = join(import.meta.dirname, '..');
const src = join(admin, 'src');

describe('admin source layout', () => {
  it('folders import one way: routes → dashboard, and dashboard imports no folder', () => {
    expect(Object.fromEntries(folderGraph(src))).toEqual({ dashboard: [], routes: ['dashboard'] });
  });

  it('shared modules in src/ import no route, and only the dashboard document of the dashboard', () => {
    const upwards: string[] = [];
    for (const [file, targets] of importGraph(typeScriptFiles(src))) {
      const from = relative(src, file);
      if (from.includes('/') || from === 'server.ts' || from === 'index.ts') continue;
      for (const target of targets) {
        const to = relative(src, target);
        if (to.startsWith('routes/') || (to.startsWith('dashboard/') && to !== 'dashboard/document.ts'))
          upwards.push(`${from} imports ${to}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('keeps source and test files under ~300 lines unless the header says why', () => {
    const files = [...typeScriptFiles(src), ...typeScriptFiles(join(admin, 'test'))].filter(
      (f) => !f.endsWith('.generated.ts'),
    );
    const long = files
      .filter((f) => readFileSync(f, 'utf8').split('\n').length > 320)
      .filter((f) => !/Over ~300 lines/.test(readFileSync(f, 'utf8').slice(0, 1500)))
      .map((f) => relative(admin, f));
    expect(long).toEqual([]);
  });
});
