/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and prints where a proxy's CPU went:
 * self time by package (node internals, undici, router, identifiers, telemetry, core, balancers,
 * dtab, …) and the top functions by self and by inclusive time, as percentages of the busy
 * (non-idle) time. Frames of the bundled bench child are mapped back to their source file through
 * the bundle's source map (`node:module`'s `SourceMap`), so a function is named with its package
 * and `file:line`.
 *
 * Used by bench/proxy.ts (`BENCH_PROF=1`); also runnable alone:
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [bundle.js.map]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profiler.Profile`) read here. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** One function's share. */
export interface FunctionShare {
  readonly name: string;
  readonly pkg: string;
  readonly where: string;
  /** µs. */
  readonly self: number;
  /** µs, each sample counted once however often the function is on its stack. */
  readonly total: number;
}

/** What {@link summarize} computes. */
export interface ProfileSummary {
  /** µs sampled, idle included. */
  readonly sampled: number;
  /** µs sampled outside `(idle)`. */
  readonly busy: number;
  /** Self µs by package, largest first. */
  readonly packages: readonly (readonly [string, number])[];
  readonly functions: readonly FunctionShare[];
}

/** Packages of this repository, listed function by function in the summary. */
const SWITCHYARD = new Set([
  'router',
  'identifiers',
  'telemetry',
  'core',
  'balancers',
  'dtab',
  'limits',
  'tls',
  'bench',
]);

const SPECIAL: Record<string, string> = {
  '(garbage collector)': 'gc',
  '(program)': 'program',
  '(root)': 'root',
  '(idle)': 'idle',
};

/** The package a source file belongs to. */
export function packageOf(source: string, functionName: string): string {
  const special = SPECIAL[functionName];
  if (special !== undefined && source === '') return special;
  if (source === '' || source.startsWith('node:')) return 'node';
  // The only WebAssembly in these processes is undici's llhttp (its HTTP/1.1 response parser).
  if (source.startsWith('wasm:')) return 'undici';
  const pkg = /\/packages\/([^/]+)\/(?:src|bench)\//.exec(source);
  if (pkg !== null) return pkg[1] === 'router' && source.includes('/bench/') ? 'bench' : pkg[1]!;
  if (/\/examples\/[^/]+\//.test(source)) return 'examples';
  const dep = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(source);
  if (dep !== null) return dep[1]!;
  return 'other';
}

/** Resolves a frame to its source file and 1-based line, through source maps keyed by script path. */
export type FrameResolver = (frame: CallFrame) => { source: string; line: number };

/** A resolver that maps frames of scripts with a `.map` file beside them (or given) to sources. */
export function sourceMapResolver(maps: Record<string, string> = {}): FrameResolver {
  const loaded = new Map<string, SourceMap | undefined>();
  function mapFor(path: string): SourceMap | undefined {
    if (loaded.has(path)) return loaded.get(path);
    const file = maps[path] ?? `${path}.map`;
    let map: SourceMap | undefined;
    if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload);
    loaded.set(path, map);
    return map;
  }
  return (frame) => {
    const path = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
    const map = path.startsWith('/') ? mapFor(path) : undefined;
    if (map !== undefined) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
        originalSource?: string;
        originalLine?: number;
      };
      if (entry.originalSource !== undefined) {
        const original = entry.originalSource;
        const source = original.startsWith('file:')
          ? fileURLToPath(original)
          : resolvePath(dirname(maps[path] ?? path), original);
        return { source, line: (entry.originalLine ?? 0) + 1 };
      }
    }
    return { source: path, line: frame.lineNumber + 1 };
  };
}

/** Self and inclusive time per function and self time per package. */
export function summarize(profile: CpuProfile, resolve: FrameResolver): ProfileSummary {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map<number, string>();
  const info = new Map<string, { name: string; pkg: string; where: string; self: number; total: number }>();
  for (const n of profile.nodes) {
    const { source, line } = resolve(n.callFrame);
    const name = n.callFrame.functionName || '(anonymous)';
    const pkg = packageOf(source, n.callFrame.functionName);
    const short = source.replace(/^.*\/(packages|examples)\//, '').replace(/^.*\/node_modules\//, '');
    const where = source === '' ? '' : `${short}:${line}`;
    const key = `${pkg}|${name}|${where}`;
    keyOf.set(n.id, key);
    if (!info.has(key)) info.set(key, { name, pkg, where, self: 0, total: 0 });
  }
  const { samples, timeDeltas } = profile;
  let sampled = 0;
  let busy = 0;
  const seen = new Set<string>();
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one (as Chrome DevTools counts it).
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : 0;
    if (dt <= 0) continue;
    sampled += dt;
    const leaf = samples[i]!;
    const leafInfo = info.get(keyOf.get(leaf)!)!;
    if (leafInfo.pkg === 'idle') continue;
    busy += dt;
    leafInfo.self += dt;
    seen.clear();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const key = keyOf.get(id)!;
      if (seen.has(key)) continue;
      seen.add(key);
      info.get(key)!.total += dt;
    }
  }
  const byPkg = new Map<string, number>();
  for (const f of info.values()) {
    if (f.pkg === 'idle' || f.pkg === 'root') continue;
    byPkg.set(f.pkg, (byPkg.get(f.pkg) ?? 0) + f.self);
  }
  return {
    sampled,
    busy,
    packages: [...byPkg].filter(([, t]) => t > 0).sort((a, b) => b[1] - a[1]),
    functions: [...info.values()].filter((f) => f.pkg !== 'idle' && f.pkg !== 'root'),
  };
}

/** The summary as text: packages by self time, then the top `top` functions by self and by inclusive time. */
export function formatSummary(title: string, s: ProfileSummary, top = 25): string {
  const pct = (us: number) => `${((100 * us) / (s.busy || 1)).toFixed(1).padStart(5)} %`;
  const lines = [
    `## ${title}`,
    `sampled ${(s.sampled / 1e3).toFixed(0)} ms, busy (not idle) ${(s.busy / 1e3).toFixed(0)} ms; percentages are of busy time`,
    '',
    'self time by package:',
    ...s.packages.map(([pkg, t]) => `  ${pct(t)}  ${pkg}`),
    '',
    `top ${top} functions by self time:`,
    ...[...s.functions]
      .sort((a, b) => b.self - a.self)
      .slice(0, top)
      .map((f) => `  ${pct(f.self)}  ${f.pkg.padEnd(12)} ${f.name}  ${f.where}`),
    '',
    `top ${top} functions by inclusive time (${'node'} event-loop frames included):`,
    ...[...s.functions]
      .sort((a, b) => b.total - a.total)
      .slice(0, top)
      .map((f) => `  ${pct(f.total)}  ${f.pkg.padEnd(12)} ${f.name}  ${f.where}`),
    '',
    'top functions of each Switchyard package by self time (and their inclusive time):',
  ];
  for (const [pkg, t] of s.packages) {
    if (!SWITCHYARD.has(pkg)) continue;
    lines.push(`  ${pkg} ${pct(t).trim()}:`);
    for (const f of [...s.functions]
      .filter((x) => x.pkg === pkg && x.self > 0)
      .sort((a, b) => b.self - a.self)
      .slice(0, 8)) {
      lines.push(`    ${pct(f.self)} self ${pct(f.total)} incl  ${f.name}  ${f.where}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const [file, map] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: profile-summary <file.cpuprofile> [bundle.js.map]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = map === undefined ? {} : { [map.replace(/\.map$/, '')]: map };
  console.log(formatSummary(file, summarize(profile, sourceMapResolver(maps))));
}
