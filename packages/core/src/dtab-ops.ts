/**
 * Internal: the few dtab operations the interpreter needs, written against the `@switchyard/dtab`
 * types only. Delegation needs to know *which* dentry fired for each alternative, which
 * `Dtab.lookup` does not expose, so matching lives here; the shows follow finagle's canonical
 * forms so delegator JSON reads exactly like Linkerd's.
 */
import type { Dentry, DentryPrefix, Dtab, NameTree, NameTreeWeighted, Path } from '@switchyard/dtab';

/** Characters finagle prints in a path label without escaping. */
const SHOWABLE = /^[0-9A-Za-z_:.#$%-]$/;

function showLabel(label: string): string {
  let out = '';
  for (const ch of label) {
    if (SHOWABLE.test(ch)) out += ch;
    else {
      const code = ch.charCodeAt(0);
      out += `\\x${(code & 0xff).toString(16).padStart(2, '0')}`;
    }
  }
  return out;
}

/** finagle's `Path.show`: `/a/b`, and `/` for the empty path. */
export function showPath(path: Path): string {
  if (path.length === 0) return '/';
  let out = '';
  for (const label of path) out += `/${showLabel(label)}`;
  return out;
}

/** finagle's `Dentry.Prefix.show`. */
export function showPrefix(prefix: DentryPrefix): string {
  if (prefix.length === 0) return '/';
  let out = '';
  for (const e of prefix) out += e.kind === 'any' ? '/*' : `/${showLabel(e.value)}`;
  return out;
}

function showWeight(w: number): string {
  // Scala prints doubles with a fractional part: 2 => "2.0".
  return Number.isInteger(w) ? `${w}.0` : String(w);
}

/** finagle's `NameTree.show` for path trees: `|` loosest, then `&`, parentheses where needed. */
export function showTree(tree: NameTree<Path>): string {
  return showAlt(tree);
}

function showAlt(tree: NameTree<Path>): string {
  if (tree.kind === 'alt' && tree.trees.length > 0) return tree.trees.map(showUnion).join(' | ');
  return showUnion(tree);
}

function showUnion(tree: NameTree<Path>): string {
  if (tree.kind === 'union' && tree.trees.length > 0) return tree.trees.map(showWeighted).join(' & ');
  return showSimple(tree);
}

function showWeighted(w: NameTreeWeighted<Path>): string {
  return w.weight === 1 ? showSimple(w.tree) : `${showWeight(w.weight)}*${showSimple(w.tree)}`;
}

function showSimple(tree: NameTree<Path>): string {
  switch (tree.kind) {
    case 'leaf':
      return showPath(tree.value);
    case 'fail':
      return '!';
    case 'neg':
      return '~';
    case 'empty':
      return '$';
    case 'alt':
      return tree.trees.length === 0 ? '~' : `(${showAlt(tree)})`;
    case 'union':
      return tree.trees.length === 0 ? '~' : `(${showAlt(tree)})`;
  }
}

/** finagle's `Dentry.show`: `prefix=>dst`. */
export function showDentry(d: Dentry): { prefix: string; dst: string } {
  return { prefix: showPrefix(d.prefix), dst: showTree(d.dst) };
}

/** Whether `prefix` matches the head of `path` (`*` matches exactly one label). */
export function prefixMatches(prefix: DentryPrefix, path: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const e = prefix[i]!;
    if (e.kind === 'label' && e.value !== path[i]) return false;
  }
  return true;
}

/** The dentries matching `path`, latest first, each with the suffix of `path` left after its prefix. */
export function matchingDentries(dtab: Dtab, path: Path): { dentry: Dentry; suffix: Path }[] {
  const out: { dentry: Dentry; suffix: Path }[] = [];
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!;
    if (prefixMatches(d.prefix, path)) out.push({ dentry: d, suffix: path.slice(d.prefix.length) });
  }
  return out;
}

/** `NameTree.map`. */
export function mapTree<A, B>(tree: NameTree<A>, f: (a: A) => B): NameTree<B> {
  switch (tree.kind) {
    case 'leaf':
      return { kind: 'leaf', value: f(tree.value) };
    case 'alt':
      return { kind: 'alt', trees: tree.trees.map((t) => mapTree(t, f)) };
    case 'union':
      return {
        kind: 'union',
        trees: tree.trees.map((w) => ({ weight: w.weight, tree: mapTree(w.tree, f) })),
      };
    default:
      return tree;
  }
}

/** finagle's `Dtab.lookup`: matching destinations with suffixes appended, later dentries first, as an alt; neg if none. */
export function lookup(dtab: Dtab, path: Path): NameTree<Path> {
  const matches = matchingDentries(dtab, path);
  if (matches.length === 0) return NEG;
  const trees = matches.map(({ dentry, suffix }) => mapTree(dentry.dst, (p) => [...p, ...suffix]));
  return trees.length === 1 ? trees[0]! : { kind: 'alt', trees };
}

const NEG: NameTree<never> = Object.freeze({ kind: 'neg' });

/** finagle's `NameTree.simplify`. */
export function simplify<T>(tree: NameTree<T>): NameTree<T> {
  switch (tree.kind) {
    case 'alt': {
      const out: NameTree<T>[] = [];
      for (const t of tree.trees) {
        const s = simplify(t);
        if (s.kind === 'neg') continue;
        out.push(s);
        if (s.kind === 'fail') break;
      }
      if (out.length === 0) return NEG;
      if (out.length === 1) return out[0]!;
      return { kind: 'alt', trees: out };
    }
    case 'union': {
      const out: NameTreeWeighted<T>[] = [];
      for (const w of tree.trees) {
        const s = simplify(w.tree);
        if (s.kind !== 'neg') out.push({ weight: w.weight, tree: s });
      }
      if (out.length === 0) return NEG;
      if (out.length === 1) return out[0]!.tree;
      return { kind: 'union', trees: out };
    }
    default:
      return tree;
  }
}
