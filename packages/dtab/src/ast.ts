/**
 * The naming language's syntax tree: the shapes of paths, prefixes, name trees, dentries and dtabs,
 * and the frozen node constructors. The parser (`parse.ts`) and the public modules (`path.ts`,
 * `dentry.ts`, `dtab.ts`, `name-tree.ts`, which hold the printers and operations) all depend on
 * this module and it depends on none of them, so dtab has no import cycles (issue 12 step 4).
 *
 * Why the public types are declared twice (here and in their own modules): each public name —
 * `Path`, `Dentry`, `Dtab`, `NameTree` — is one export that is both a type and a frozen namespace of
 * functions, and TypeScript merges a type with a value only when both are declared in the same
 * module. Making the public types aliases of the types here made TypeScript name this module in
 * the declarations of dependent packages (TS2742 in config's declaration build), and the other
 * ways out change the public API: a public `./ast` subpath would put a second spelling of every
 * type into users' declaration files, and constructor callbacks would make the parser generic for
 * no user's benefit. So the shapes here are structural copies of the public types, and the
 * compiler checks that they stay identical: `ast.test.ts` asserts mutual assignability, and every
 * public function passes values between the two in both directions. Nothing here is exported from
 * the package; public values are typed with the public names, so no declaration file names this
 * module.
 */

/** Shape of `Path`: labels whose characters are bytes (0–255). */
export type Path = readonly string[];

/** Shape of `DentryPrefixElem`: a literal label or `*`. */
export type DentryPrefixElem = { readonly kind: 'label'; readonly value: string } | { readonly kind: 'any' };

/** Shape of `DentryPrefix`. */
export type DentryPrefix = readonly DentryPrefixElem[];

/** Shape of `NameTree<T>`: a discriminated union on `kind`. */
export type NameTree<T> =
  | { readonly kind: 'leaf'; readonly value: T }
  | { readonly kind: 'alt'; readonly trees: readonly NameTree<T>[] }
  | { readonly kind: 'union'; readonly trees: readonly NameTreeWeighted<T>[] }
  | { readonly kind: 'neg' }
  | { readonly kind: 'fail' }
  | { readonly kind: 'empty' };

/** Shape of `NameTreeWeighted<T>`: one branch of a union with its relative weight. */
export interface NameTreeWeighted<T> {
  readonly weight: number;
  readonly tree: NameTree<T>;
}

/** Shape of `Dentry`: `prefix => dst`. */
export interface Dentry {
  readonly prefix: DentryPrefix;
  readonly dst: NameTree<Path>;
}

/** Shape of `Dtab`: dentries in order; later ones take precedence. */
export type Dtab = readonly Dentry[];

/** finagle `NameTree.Neg`: no binding here. */
export const NEG: NameTree<never> = Object.freeze({ kind: 'neg' });
/** finagle `NameTree.Fail`: binding failed; stop looking. */
export const FAIL: NameTree<never> = Object.freeze({ kind: 'fail' });
/** finagle `NameTree.Empty`: bound, to nothing. */
export const EMPTY: NameTree<never> = Object.freeze({ kind: 'empty' });

/** A frozen leaf. */
export function leaf<T>(value: T): NameTree<T> {
  return Object.freeze({ kind: 'leaf', value });
}

/** A frozen alt over `trees`, which it takes ownership of and freezes (callers pass fresh arrays). */
export function alt<T>(trees: readonly NameTree<T>[]): NameTree<T> {
  return Object.freeze({ kind: 'alt', trees: Object.freeze(trees) });
}

/** A frozen union branch. */
export function weighted<T>(weight: number, tree: NameTree<T>): NameTreeWeighted<T> {
  return Object.freeze({ weight, tree });
}

/** A frozen union over `trees`, which it takes ownership of and freezes (callers pass fresh arrays). */
export function union<T>(trees: readonly NameTreeWeighted<T>[]): NameTree<T> {
  return Object.freeze({
    kind: 'union',
    trees: Object.freeze(trees),
  });
}
