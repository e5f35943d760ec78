/**
 * NameTree node constructors, kept apart from `name-tree.ts` so the parser can build trees without
 * importing the printers (which import the parser): no module cycles.
 */
import type { NameTree, NameTreeWeighted } from './name-tree.js';

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
