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

export function leaf<T>(value: T): NameTree<T> {
  return Object.freeze({ kind: 'leaf', value });
}

export function alt<T>(trees: readonly NameTree<T>[]): NameTree<T> {
  return Object.freeze({ kind: 'alt', trees: Object.isFrozen(trees) ? trees : Object.freeze(trees.slice()) });
}

export function weighted<T>(weight: number, tree: NameTree<T>): NameTreeWeighted<T> {
  return Object.freeze({ weight, tree });
}

export function union<T>(trees: readonly NameTreeWeighted<T>[]): NameTree<T> {
  return Object.freeze({
    kind: 'union',
    trees: Object.isFrozen(trees) ? trees : Object.freeze(trees.slice()),
  });
}
