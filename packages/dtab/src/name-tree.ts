/**
 * NameTree: finagle's tree of names (`com.twitter.finagle.NameTree`), generic in its leaf type.
 *
 * `leaf` a name; `alt` try each branch in order, the first non-neg wins; `union` weighted
 * fan-out over branches; `neg` no binding; `fail` binding failed, stop; `empty` bound to nothing.
 */
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
