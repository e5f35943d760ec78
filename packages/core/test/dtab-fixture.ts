/**
 * A small reader for dtab text used by core's tests, so they read like finagle's. Supports
 * `prefix => tree` entries separated by `;`, with `|`, `&`, `N *` weights, parentheses, `!`, `~`,
 * `$` and `*` prefix elements. (The real parser is `@switchyard/dtab`'s `Dtab.read`.)
 */
import type { Dentry, DentryPrefix, Dtab, NameTree, NameTreeWeighted, Path } from '@switchyard/dtab';

export function path(text: string): Path {
  return text.split('/').filter((s) => s.length > 0);
}

export function prefix(text: string): DentryPrefix {
  return path(text).map((l) => (l === '*' ? { kind: 'any' as const } : { kind: 'label' as const, value: l }));
}

export function tree(text: string): NameTree<Path> {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const alt = (): NameTree<Path> => {
    const ts = [union()];
    ws();
    while (text[i] === '|') {
      i++;
      ts.push(union());
      ws();
    }
    return ts.length === 1 ? ts[0]! : { kind: 'alt', trees: ts };
  };
  const union = (): NameTree<Path> => {
    const ts = [weighted()];
    ws();
    while (text[i] === '&') {
      i++;
      ts.push(weighted());
      ws();
    }
    return ts.length === 1 && ts[0]!.weight === 1 ? ts[0]!.tree : { kind: 'union', trees: ts };
  };
  const weighted = (): NameTreeWeighted<Path> => {
    ws();
    const m = /^(\d+(?:\.\d+)?)\s*\*/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      return { weight: Number(m[1]), tree: simple() };
    }
    return { weight: 1, tree: simple() };
  };
  const simple = (): NameTree<Path> => {
    ws();
    const c = text[i];
    if (c === '(') {
      i++;
      const t = alt();
      ws();
      i++;
      return t;
    }
    if (c === '!') return i++, { kind: 'fail' };
    if (c === '~') return i++, { kind: 'neg' };
    if (c === '$') return i++, { kind: 'empty' };
    const m = /^\/[^\s|&()]*/.exec(text.slice(i));
    if (!m) throw new Error(`fixture: bad tree at ${i}: ${text}`);
    i += m[0].length;
    return { kind: 'leaf', value: path(m[0]) };
  };
  const t = alt();
  return t;
}

export function dentry(text: string): Dentry {
  const [p, d] = text.split('=>');
  return { prefix: prefix(p!.trim()), dst: tree(d!.trim()) };
}

export function dtab(text: string): Dtab {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(dentry);
}
