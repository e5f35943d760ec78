/**
 * Dtab: an ordered list of dentries that rewrites paths, finagle's `com.twitter.finagle.Dtab`.
 *
 * Source: finagle-core `DtabBase.scala` (lookup, ++, simplified, show).
 *
 * `lookup` on a large frozen dtab walks a prefix trie cached per dtab instead of testing every
 * dentry; the result is identical to finagle's linear scan (see `docs/dtab.md`, "Performance").
 */

import { alt, NEG } from './ast.js';
import { Dentry } from './dentry.js';
import { NameTree } from './name-tree.js';
import { readDtab } from './parse.js';
import { Path } from './path.js';

/** A delegation table: an ordered list of dentries; later dentries take precedence. */
export type Dtab = readonly Dentry[];

const EMPTY: Dtab = Object.freeze([]);

/** Dtabs at least this long (and frozen) get a prefix trie for `lookup`. */
const INDEX_THRESHOLD = 16;

/** A trie over dentry prefixes; `ends` lists the dentries whose prefix ends at this node. */
interface TrieNode {
  labels: Map<string, TrieNode> | undefined;
  any: TrieNode | undefined;
  ends: number[];
}

const indexes = new WeakMap<Dtab, TrieNode>();

function newNode(): TrieNode {
  return { labels: undefined, any: undefined, ends: [] };
}

function buildIndex(dtab: Dtab): TrieNode {
  const root = newNode();
  for (let i = 0; i < dtab.length; i++) {
    let node = root;
    for (const elem of dtab[i]!.prefix) {
      if (elem.kind === 'any') node = node.any ??= newNode();
      else {
        node.labels ??= new Map();
        let next = node.labels.get(elem.value);
        if (next === undefined) {
          next = newNode();
          node.labels.set(elem.value, next);
        }
        node = next;
      }
    }
    node.ends.push(i);
  }
  return root;
}

/** Indices of the dentries whose prefix matches `path`, in descending order. */
function matchingIndices(dtab: Dtab, path: Path): number[] {
  if (dtab.length < INDEX_THRESHOLD || !Object.isFrozen(dtab)) {
    const out: number[] = [];
    for (let i = dtab.length - 1; i >= 0; i--) if (Dentry.Prefix.matches(dtab[i]!.prefix, path)) out.push(i);
    return out;
  }
  let root = indexes.get(dtab);
  if (root === undefined) {
    root = buildIndex(dtab);
    indexes.set(dtab, root);
  }
  const out: number[] = [];
  // Depth-first over the trie nodes whose pattern matches a prefix of `path`.
  const stack: [TrieNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    for (const i of node.ends) out.push(i);
    if (depth < path.length) {
      const next = node.labels?.get(path[depth]!);
      if (next !== undefined) stack.push([next, depth + 1]);
      if (node.any !== undefined) stack.push([node.any, depth + 1]);
    }
  }
  if (out.length > 1) out.sort((a, b) => b - a);
  return out;
}

function lookup(dtab: Dtab, path: Path): NameTree<Path> {
  const indices = matchingIndices(dtab, path);
  if (indices.length === 0) return NEG;
  const trees = indices.map((i) => {
    const { prefix, dst } = dtab[i]!;
    if (prefix.length === path.length) return dst;
    const suffix = Object.freeze(path.slice(prefix.length));
    return NameTree.map(dst, (p) => Path.concat(p, suffix));
  });
  return trees.length === 1 ? trees[0]! : alt(trees);
}

function concat(a: Dtab, b: Dtab): Dtab {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return Object.freeze([...a, ...b]);
}

/** Operations on {@link Dtab}s. Every function is pure; returned dtabs are frozen arrays. */
export const Dtab = Object.freeze({
  /** The dtab with no dentries; every lookup is neg. */
  empty: EMPTY,

  /**
   * Parses a dtab (finagle `Dtab.read`): `dtab ::= dentry (';' dentry)* ';'?`, or nothing at all
   * (empty or blank text is the empty dtab). Whitespace and `#` comments (to end of line) may
   * appear wherever whitespace may.
   * @throws {DtabParseError} when `text` is not a dtab.
   * @example Dtab.read('/svc => /#/io.l5d.k8s/default/http; /host/web => /svc/web')
   */
  read: (text: string): Dtab => readDtab(text),

  /** The canonical text, byte-identical to finagle's `Dtab.show`: dentries joined by `;`. */
  show: (dtab: Dtab): string => dtab.map(Dentry.show).join(';'),

  /**
   * Rewrites `path` with `dtab` (finagle `Dtab.lookup`). Every dentry whose prefix matches
   * `path` contributes its destination tree with the unmatched rest of `path` appended to every
   * leaf; the contributions are combined as an alt, LATER dentries first (so a dentry appended
   * to a dtab overrides earlier ones but falls back to them where it is neg). One match returns
   * its tree unwrapped; no match returns neg.
   * @example Dtab.lookup(Dtab.read('/a => /b'), Path.read('/a/c')) // leaf /b/c
   */
  lookup,

  /** `a`'s dentries followed by `b`'s (finagle `++`); `b` therefore takes precedence. */
  concat,

  /** `dtab` with `dentry` appended (finagle `+`). */
  append: (dtab: Dtab, dentry: Dentry): Dtab => Object.freeze([...dtab, dentry]),

  /** A frozen dtab of the given dentries, in order. */
  of: (...dentries: Dentry[]): Dtab => Object.freeze(dentries),

  /**
   * An evaluation-equivalent dtab (finagle `Dtab.simplified`): every destination simplified,
   * and dentries whose destination simplifies to neg dropped (they never contribute).
   */
  simplify: (dtab: Dtab): Dtab =>
    Object.freeze(
      dtab
        .map((d) => Object.freeze({ prefix: d.prefix, dst: NameTree.simplify(d.dst) }))
        .filter((d) => d.dst.kind !== 'neg'),
    ),
});
