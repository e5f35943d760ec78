import type { Var } from './var.js';

/** The state of an Activity: still loading, a value, or a failure. */
export type ActivityState<T> =
  | { readonly kind: 'pending' }
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: Error };

/**
 * Activity: a Var of `ActivityState`, finagle's `com.twitter.util.Activity` — an asynchronous
 * computation whose result changes over time.
 */
export interface Activity<T> {
  readonly states: Var<ActivityState<T>>;
}
