/**
 * Var: a value that changes over time, finagle's `com.twitter.util.Var`.
 * Observing returns a dispose function. Sources created with `Var.async` start their work when
 * the first observer arrives and stop when the last one leaves.
 */

/** Stops an observation or a resource. Idempotent. */
export type Dispose = () => void;

/** A value that changes over time. `observe` calls `f` at once with the current value, then on each change. */
export interface Var<T> {
  sample(): T;
  observe(f: (value: T) => void): Dispose;
}

/** A Var whose value is set by its owner. */
export interface WritableVar<T> extends Var<T> {
  update(value: T): void;
}
