/**
 * NameTree: finagle's tree of names (`com.twitter.finagle.NameTree`), generic in its leaf type.
 *
 * `leaf` a name; `alt` try each branch in order, the first non-neg wins; `union` weighted
 * fan-out over branches; `neg` no binding; `fail` binding failed, stop; `empty` bound to nothing.
 *
 * Source: finagle-core `NameTree.scala` (map, simplify, show/show1/showSimple, eval) and
 * `NameTreeParsers.scala` (read). The functions here follow them case for case.
 *
 * Just over ~300 lines on purpose: one type and its operations, as in `NameTree.scala` (the
 * constructors live in ast.ts, the parser in parse.ts).
 */
import { alt, EMPTY, FAIL, leaf, NEG, union, weighted } from './ast.js';
import { readNameTree } from './parse.js';
import { Path } from './path.js';

/** A tree of names with leaves of type `T`; a discriminated union on `kind`. */
export type NameTree<T> =
  | { readonly kind: 'leaf'; readonly value: T }
  | { readonly kind: 'alt'; readonly trees: readonly NameTree<T>[] }
  | { readonly kind: 'union'; readonly trees: readonly NameTreeWeighted<T>[] }
  | { readonly kind: 'neg' }
  | { readonly kind: 'fail' }
  | { readonly kind: 'empty' };

/** One branch of a `union`, with its relative weight (finagle's default weight is 1). */
export interface NameTreeWeighted<T> {
  readonly weight: number;
  readonly tree: NameTree<T>;
}

function assertNever(value: never): never {
  throw new TypeError(`not a NameTree: ${JSON.stringify(value)}`);
}

function map<T, U>(tree: NameTree<T>, f: (value: T) => U): NameTree<U> {
  switch (tree.kind) {
    case 'leaf':
      return leaf(f(tree.value));
    case 'alt':
      return alt(tree.trees.map((t) => map(t, f)));
    case 'union':
      return union(tree.trees.map((w) => weighted(w.weight, map(w.tree, f))));
    case 'neg':
    case 'fail':
    case 'empty':
      return tree;
    default:
      return assertNever(tree);
  }
}

function simplify<T>(tree: NameTree<T>): NameTree<T> {
  switch (tree.kind) {
    case 'alt': {
      if (tree.trees.length === 0) return NEG;
      if (tree.trees.length === 1) return simplify(tree.trees[0]!);
      const out: NameTree<T>[] = [];
      for (const child of tree.trees) {
        const s = simplify(child);
        if (s.kind === 'fail') {
          // Nothing after a Fail is ever reached.
          out.push(FAIL);
          break;
        }
        if (s.kind !== 'neg') out.push(s);
      }
      if (out.length === 0) return NEG;
      return out.length === 1 ? out[0]! : alt(out);
    }
    case 'union': {
      if (tree.trees.length === 0) return NEG;
      if (tree.trees.length === 1) return simplify(tree.trees[0]!.tree);
      const out: NameTreeWeighted<T>[] = [];
      for (const w of tree.trees) {
        const s = simplify(w.tree);
        if (s.kind !== 'fail' && s.kind !== 'neg') out.push(weighted(w.weight, s));
      }
      if (out.length === 0) return NEG;
      return out.length === 1 ? out[0]!.tree : union(out);
    }
    case 'leaf':
    case 'neg':
    case 'fail':
    case 'empty':
      return tree;
    default:
      return assertNever(tree);
  }
}

/** finagle's private `eval`: the result is restricted to fail | neg | a set of leaves. */
type Evaluated<T> =
  | { readonly kind: 'fail' }
  | { readonly kind: 'neg' }
  | { readonly kind: 'set'; readonly values: T[] };

const EV_FAIL = Object.freeze({ kind: 'fail' } as const);
const EV_NEG = Object.freeze({ kind: 'neg' } as const);

function evaluate<T>(tree: NameTree<T>): Evaluated<T> {
  switch (tree.kind) {
    case 'fail':
      return EV_FAIL;
    case 'neg':
      return EV_NEG;
    case 'empty':
      return { kind: 'set', values: [] };
    case 'leaf':
      return { kind: 'set', values: [tree.value] };
    case 'alt':
      for (const child of tree.trees) {
        const e = evaluate(child);
        if (e.kind !== 'neg') return e; // fail and sets (even empty ones) stop the search
      }
      return EV_NEG;
    case 'union': {
      // As finagle: a one-branch union is its branch, so a lone fail fails; in a larger union
      // fail branches are skipped like neg ones.
      if (tree.trees.length === 1) return evaluate(tree.trees[0]!.tree);
      let values: T[] | undefined;
      for (const w of tree.trees) {
        const e = evaluate(w.tree);
        if (e.kind === 'set') values = values === undefined ? e.values : values.concat(e.values);
      }
      return values === undefined ? EV_NEG : { kind: 'set', values };
    }
    default:
      return assertNever(tree);
  }
}

/** Default identity for {@link NameTree.eval}'s de-duplication: paths by their labels. */
function defaultKey(value: unknown): unknown {
  if (Array.isArray(value) && value.every((x) => typeof x === 'string'))
    return `\0path\0${JSON.stringify(value)}`;
  return value;
}

function evalTree<T>(tree: NameTree<T>, key: (value: T) => unknown = defaultKey): readonly T[] | undefined {
  const e = evaluate(tree);
  if (e.kind !== 'set') return undefined;
  const seen = new Set<unknown>();
  const out: T[] = [];
  for (const v of e.values) {
    const k = key(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return Object.freeze(out);
}

/**
 * finagle's `%.2f` as Java's Formatter computes it: the shortest round-trip decimal digits of the
 * double, rounded HALF_UP to two places (so 0.125 → `0.13`, 1.005 → `1.01`), always with a `.`
 * (we print in the root locale; finagle uses the JVM's default locale).
 */
function formatWeight(w: number): string {
  if (Number.isNaN(w)) return 'NaN';
  if (!Number.isFinite(w)) return w > 0 ? 'Infinity' : '-Infinity';
  const negative = w < 0 || Object.is(w, -0);
  const [mantissa, exp] = Math.abs(w).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  // The value is 0.d1d2d3… × 10^pointPos.
  const pointPos = Number(exp) + 1;
  // Digits of the value scaled by 100, then round half up on the first dropped digit.
  const keep = pointPos + 2;
  let scaled: bigint;
  if (keep <= 0) scaled = keep === 0 && digits.charCodeAt(0) >= 0x35 ? 1n : 0n;
  else {
    const kept = digits.length >= keep ? digits.slice(0, keep) : digits.padEnd(keep, '0');
    scaled = BigInt(kept);
    if (digits.length > keep && digits.charCodeAt(keep) >= 0x35) scaled += 1n;
  }
  const s = scaled.toString().padStart(3, '0');
  return `${negative ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
}

type Show<T> = (value: T) => string;

function unwrap<T>(tree: NameTree<T>): NameTree<T> {
  let t = tree;
  for (;;) {
    if (t.kind === 'union' && t.trees.length === 1) t = t.trees[0]!.tree;
    else if (t.kind === 'alt' && t.trees.length === 1) t = t.trees[0]!;
    else return t;
  }
}

function showTop<T>(tree: NameTree<T>, showLeaf: Show<T>): string {
  const t = unwrap(tree);
  if (t.kind === 'alt') return t.trees.map((c) => show1(c, showLeaf)).join(' | ');
  return show1(t, showLeaf);
}

function show1<T>(tree: NameTree<T>, showLeaf: Show<T>): string {
  const t = unwrap(tree);
  if (t.kind === 'union') {
    return t.trees
      .map((w) =>
        w.weight === 1
          ? showSimple(w.tree, showLeaf)
          : `${formatWeight(w.weight)}*${showSimple(w.tree, showLeaf)}`,
      )
      .join(' & ');
  }
  if (t.kind === 'alt') return `(${showTop(t, showLeaf)})`;
  return showSimple(t, showLeaf);
}

function showSimple<T>(tree: NameTree<T>, showLeaf: Show<T>): string {
  const t = unwrap(tree);
  switch (t.kind) {
    case 'union':
    case 'alt':
      return `(${showTop(t, showLeaf)})`;
    case 'leaf':
      return showLeaf(t.value);
    case 'fail':
      return '!';
    case 'neg':
      return '~';
    case 'empty':
      return '$';
    default:
      return assertNever(t);
  }
}

function show(tree: NameTree<Path>): string;
function show<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string;
function show<T>(tree: NameTree<T>, showLeaf?: (value: T) => string): string {
  return showTop(tree, showLeaf ?? (Path.show as unknown as Show<T>));
}

/**
 * Operations on {@link NameTree}s: constructors, `read`/`show`, `map`, `simplify`, `eval`.
 * Every function is pure; constructed nodes are frozen.
 */
export const NameTree = Object.freeze({
  /** finagle `Weighted.defaultWeight`: a union member written without `N *` weighs 1. */
  defaultWeight: 1,

  /** A leaf holding `value` (finagle `Leaf`). */
  leaf: leaf as <T>(value: T) => NameTree<T>,
  /** Fail-over: the first branch that does not evaluate to neg wins (finagle `Alt`). */
  alt: <T>(...trees: NameTree<T>[]): NameTree<T> => alt(trees),
  /** Weighted fan-out over the branches (finagle `Union` of `Weighted`). */
  union: <T>(...trees: NameTreeWeighted<T>[]): NameTree<T> => union(trees),
  /** One union branch: `weight` (relative, default 1) and its tree (finagle `Weighted`). */
  weighted: weighted as <T>(weight: number, tree: NameTree<T>) => NameTreeWeighted<T>,
  /** The frozen negative tree `~`: no binding here (finagle `Neg`). */
  neg: NEG as NameTree<never>,
  /** The frozen failing tree `!`: binding failed, stop looking (finagle `Fail`). */
  fail: FAIL as NameTree<never>,
  /** The frozen empty tree `$`: bound, to no destinations (finagle `Empty`). */
  empty: EMPTY as NameTree<never>,

  /**
   * Parses a name tree of paths (finagle `NameTree.read`):
   * `tree ::= tree1 ('|' tree1)*`, `tree1 ::= weighted ('&' weighted)*`,
   * `weighted ::= (number '*')? simple`, `simple ::= '(' tree ')' | path | '!' | '~' | '$'`,
   * `number ::= [0-9]*\.?[0-9]*` (not a lone `.`). `|` binds loosest. A weight on a lone member
   * is dropped (`2 * /a` reads as the leaf `/a`), a single `|`/`&` operand is not wrapped.
   * @throws {DtabParseError} when `text` is not a name tree.
   * @example NameTree.read('/foo & /bar | /baz | $') // alt(union(/foo, /bar), /baz, empty)
   */
  read: (text: string): NameTree<Path> => readNameTree(text),

  /**
   * The canonical text of a tree, byte-identical to finagle's `NameTree.show`: alternatives joined
   * by ` | `, union members by ` & `; an alt nested anywhere but the top, and a union nested in a
   * union, are parenthesised; a weight of exactly 1 is omitted and any other weight is printed as
   * `%.2f` followed by `*` with no spaces (`0.50*` then `/a`, then ` & /b`); single-branch alts and unions print
   * as their branch (dropping the weight); `!`, `~`, `$` for fail, neg, empty. Leaves are shown
   * with `showLeaf`, by default {@link Path.show}. An empty alt or union prints as the empty
   * string (or `()` when nested in a union), which `read` rejects — as in finagle.
   */
  show,

  /** Rewrites every leaf with `f`, keeping structure and weights (finagle `NameTree.map`). */
  map,

  /**
   * An evaluation-equivalent, smaller tree (finagle `NameTree.simplify`); idempotent.
   * Empty alts and unions become neg; single-branch ones become their (simplified) branch; an
   * alt drops neg branches and everything after a fail; a union drops neg and fail branches
   * (weights of the survivors kept); a node left with no branches is neg, with one is that branch.
   */
  simplify,

  /**
   * Evaluates a tree to its destinations (finagle `NameTree.eval: Option[Set[T]]`):
   * `undefined` when it evaluates to neg or fail (finagle's `None`), otherwise the distinct leaf
   * values (finagle's `Some(set)`, an empty array for `$`), in first-seen order, frozen.
   * Rules: a leaf is `{value}`, `$` is `{}`; an alt is its first branch that is not neg (a fail
   * branch makes the alt fail); a one-branch union is its branch; a larger union is the union of
   * its branches that are not neg or fail, and neg if there are none; weights are ignored. Values are de-duplicated by `key` — by
   * default paths (arrays of strings) compare by their labels and other values by identity.
   */
  eval: evalTree,
});
