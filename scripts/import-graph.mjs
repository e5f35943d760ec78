#!/usr/bin/env node
/**
 * The import graph of the workspace, at two levels:
 * - packages: which `@switchyard/*` package each package's production source imports (the edges
 *   `packages/testkit/test/workspace.test.ts` checks against the allowed DAG);
 * - files: which file imports which inside each package or example (type-only imports,
 *   `export … from` and dynamic `import()` included), and the cycles among them (the ones
 *   `packages/testkit/test/import-cycles.test.ts` fails on).
 *
 * Both tests import this module, so the picture and the checks read the graph the same way.
 * Run `node scripts/import-graph.mjs` for the package graph and the cycle count per project, or
 * `node scripts/import-graph.mjs --mermaid` for the packages' graph as docs/architecture.md draws it
 * (a workspace test keeps the two the same).
 * Specifiers are read with the TypeScript compiler's pre-processor, so comments and strings never
 * count as imports.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (this file is `scripts/import-graph.mjs`). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Every `.ts` file (not `.d.ts`) under `dir`, skipping `node_modules` and `dist`.
 * @param {string} dir
 * @returns {string[]}
 */
export function typeScriptFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...typeScriptFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/**
 * Source that ships: not a test, property test or bench file.
 * @param {string} file
 */
export function isProductionSource(file) {
  return file.endsWith('.ts') && !file.endsWith('.d.ts') && !/\.(test|prop\.test|bench)\.ts$/.test(file);
}

/**
 * The `@switchyard/*` packages `file` imports (static, dynamic or side-effect imports), by name.
 * @param {string} file
 * @returns {string[]}
 */
export function importedWorkspacePackages(file) {
  const text = readFileSync(file, 'utf8');
  const found = new Set();
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]@switchyard\/([a-z0-9-]+)/g)) {
    found.add(match[1]);
  }
  return [...found];
}

/**
 * The file a relative specifier names (`./x.js` → `x.ts`, `./dir` → `dir/index.ts`), if any.
 * @param {string} from
 * @param {string} specifier
 * @returns {string | undefined}
 */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.(m|c)?js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((file) => file.endsWith('.ts') && existsSync(file) && statSync(file).isFile());
}

/**
 * For each file, the files of the same set it imports (relative specifiers only), sorted.
 * @param {readonly string[]} files
 * @returns {Map<string, string[]>}
 */
export function importGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolveRelative(file, ref.fileName);
      if (target !== undefined && known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The cycles of `graph` as its strongly connected components of more than one file (or one file
 * importing itself), each a sorted list of paths relative to `root`; Tarjan's algorithm.
 * @param {Map<string, string[]>} graph
 * @param {string} root
 * @returns {string[][]}
 */
export function importCycles(graph, root) {
  /** @type {Map<string, number>} */
  const index = new Map();
  /** @type {Map<string, number>} */
  const low = new Map();
  const onStack = new Set();
  /** @type {string[]} */
  const stack = [];
  /** @type {string[][]} */
  const out = [];
  let next = 0;
  /** @param {string} v */
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) {
        out.push(component.map((file) => relative(root, file)).sort());
      }
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * The workspace's projects: every folder under `packages/` and `examples/`.
 * @param {string} [root]
 * @returns {{ name: string; dir: string; kind: 'packages' | 'examples' }[]}
 */
export function projects(root = repoRoot) {
  return /** @type {const} */ (['packages', 'examples']).flatMap((kind) =>
    readdirSync(join(root, kind))
      .filter((name) => statSync(join(root, kind, name)).isDirectory())
      .sort()
      .map((name) => ({ name, dir: join(root, kind, name), kind })),
  );
}

/**
 * For each project, the other workspace packages its production source (`src/`) imports, sorted.
 * @param {string} [root]
 * @returns {Map<string, string[]>}
 */
export function packageGraph(root = repoRoot) {
  const graph = new Map();
  for (const { name, dir } of projects(root)) {
    const deps = new Set();
    for (const file of typeScriptFiles(join(dir, 'src')).filter(isProductionSource)) {
      for (const dep of importedWorkspacePackages(file)) if (dep !== name) deps.add(dep);
    }
    graph.set(name, [...deps].sort());
  }
  return graph;
}

/**
 * Imports between the top-level folders of `srcDir` (files directly in `srcDir` are left out):
 * for each folder, the folders its files import, sorted. Shows the direction of a layered
 * package such as the router (`server → path → client`).
 * @param {string} srcDir
 * @returns {Map<string, string[]>}
 */
export function folderGraph(srcDir) {
  /** @param {string} file */
  const folderOf = (file) => {
    const parts = relative(srcDir, file).split(/[\\/]/);
    return parts.length > 1 ? parts[0] : undefined;
  };
  const graph = new Map();
  for (const [file, targets] of importGraph(typeScriptFiles(srcDir).filter(isProductionSource))) {
    const from = folderOf(file);
    if (from === undefined) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== undefined && to !== from) graph.get(from).add(to);
    }
  }
  return new Map([...graph].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]));
}

/**
 * The package graph as a mermaid `graph BT` block (an arrow points at what is imported).
 * @param {Map<string, string[]>} graph
 */
export function mermaid(graph) {
  const lines = ['```mermaid', 'graph BT'];
  for (const [name, deps] of graph) if (deps.length > 0) lines.push(`  ${name} --> ${deps.join(' & ')}`);
  lines.push('```');
  return lines.join('\n');
}

/**
 * The packages' graph (examples left out: they may import any package) as mermaid: the block
 * docs/architecture.md shows.
 * @param {string} [root]
 */
export function packagesMermaid(root = repoRoot) {
  const packages = new Set(
    projects(root)
      .filter((p) => p.kind === 'packages')
      .map((p) => p.name),
  );
  return mermaid(new Map([...packageGraph(root)].filter(([name]) => packages.has(name))));
}

function main() {
  if (process.argv.includes('--mermaid')) {
    console.log(packagesMermaid());
    return;
  }
  const graph = packageGraph();
  console.log('package graph (production source imports):');
  const width = Math.max(...[...graph.keys()].map((name) => name.length));
  for (const [name, deps] of graph) console.log(`  ${name.padEnd(width)} → ${deps.join(', ') || '—'}`);
  let total = 0;
  let files = 0;
  const rows = [];
  for (const { name, dir } of projects()) {
    const sources = typeScriptFiles(dir);
    const cycles = importCycles(importGraph(sources), repoRoot);
    files += sources.length;
    total += cycles.length;
    for (const cycle of cycles) rows.push(`  ${name}: ${cycle.join(' → ')}`);
  }
  for (const { name, dir } of projects()) {
    const folders = folderGraph(join(dir, 'src'));
    if (folders.size < 2) continue;
    console.log(
      `${name}/src folders: ${[...folders].map(([f, to]) => `${f} → ${to.join(', ') || '—'}`).join('; ')}`,
    );
  }
  console.log(`file-level import cycles: ${total} (in ${files} files)`);
  for (const row of rows) console.log(row);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
