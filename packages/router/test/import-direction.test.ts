/**
 * The request path reads one way: router → server → path → client → forward. The router level
 * (router.ts, stack.ts, index.ts) assembles the stacks and may import any level; below it a
 * module imports its own level, the level just below it (server → path, path → client, client →
 * forward) and the shared modules (stage values, errors, headers, runtime records, the type
 * leaves in types/); a shared module imports only shared modules; nothing imports upwards or
 * skips a level. Also checks the ~300-line rule: a longer source file says why at its top.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Levels of the request path, outermost first; modules not listed are shared. */
const LEVELS: readonly (readonly [string, (file: string) => boolean])[] = [
  ['router', (f) => f === 'router.ts' || f === 'stack.ts' || f === 'index.ts'],
  ['server', (f) => f.startsWith('server/')],
  ['path', (f) => f.startsWith('path/')],
  ['client', (f) => f.startsWith('client/')],
  ['forward', (f) => f.startsWith('forward/')],
];

function level(file: string): number {
  const i = LEVELS.findIndex(([, is]) => is(file));
  return i < 0 ? LEVELS.length : i;
}

function name(lvl: number): string {
  return LEVELS[lvl]?.[0] ?? 'shared';
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Relative imports (static, type-only and `import('…')` types) of one file, as src-relative paths. */
function imports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(src, resolve(dirname(path), s)).replace(/\.js$/, '.ts'));
}

/** May `from` import `to` (src-relative paths)? */
function allowed(from: string, to: string): boolean {
  const f = level(from);
  const t = level(to);
  return t === LEVELS.length || f === 0 || (f < LEVELS.length && (t === f || t === f + 1));
}

const files = sources(src).map((p) => ({ path: p, file: relative(src, p) }));

describe('router source layout', () => {
  it('finds the levels it checks', () => {
    for (const [lvl] of LEVELS.entries()) {
      expect(
        files.some((f) => level(f.file) === lvl),
        name(lvl),
      ).toBe(true);
    }
  });

  it('imports only one level down: router → server → path → client → forward, shared below all', () => {
    const upwards: string[] = [];
    for (const { path, file } of files) {
      const from = level(file);
      for (const target of imports(path)) {
        const to = level(target);
        if (!allowed(file, target)) upwards.push(`${file} (${name(from)}) imports ${target} (${name(to)})`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('refuses an upward, a skipping and a shared-to-level import (the rule itself)', () => {
    expect(allowed('client/dispatch.ts', 'forward/forward.ts')).toBe(true);
    expect(allowed('client/dispatch.ts', 'path/retries.ts')).toBe(false);
    expect(allowed('client/mirror.ts', 'server/identify.ts')).toBe(false);
    expect(allowed('server/identify.ts', 'client/dispatch.ts')).toBe(false);
    expect(allowed('path/retries.ts', 'forward/forward.ts')).toBe(false);
    expect(allowed('stages.ts', 'client/dispatch.ts')).toBe(false);
    expect(allowed('stack.ts', 'client/dispatch.ts')).toBe(true);
    expect(allowed('path/bind.ts', 'client/binding.ts')).toBe(true);
    expect(allowed('client/mirror.ts', 'client/binding.ts')).toBe(true);
    expect(allowed('server/identify.ts', 'client/policy.ts')).toBe(false);
    expect(allowed('stages.ts', 'client/client.ts')).toBe(false);
    expect(allowed('runtime.ts', 'client/binding.ts')).toBe(false);
    expect(allowed('types/binding.ts', 'client/binding.ts')).toBe(false);
    expect(allowed('client/binding.ts', 'types/binding.ts')).toBe(true);
  });

  it('keeps the client, the binding cache and the policies in client/, their types in shared leaves', () => {
    const at = new Set(files.map((f) => f.file));
    for (const moved of ['client/client.ts', 'client/binding.ts', 'client/policy.ts']) {
      expect(at.has(moved), moved).toBe(true);
      expect(level(moved), moved).toBe(LEVELS.findIndex(([n]) => n === 'client'));
    }
    for (const leaf of ['types/client.ts', 'types/binding.ts', 'service.ts']) {
      expect(at.has(leaf), leaf).toBe(true);
      expect(name(level(leaf)), leaf).toBe('shared');
    }
    expect(['client.ts', 'binding.ts', 'policy.ts'].filter((f) => at.has(f))).toEqual([]);
  });

  it('keeps files under ~300 lines unless the header says why', () => {
    const long = files
      .map(({ path, file }) => ({ file, text: readFileSync(path, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > 320)
      .filter(({ text }) => !/Over ~300 lines/.test(text.slice(0, 1500)))
      .map(({ file }) => file);
    expect(long).toEqual([]);
  });
});
