/**
 * Layers: middleware as `next => handler`. A stack is assembled by `compose`, outermost first.
 */

/** Wraps a handler in behaviour (auth, rewrite, rate limit, ...). */
export type Layer<H> = (next: H) => H;

/** A layer with the metadata the admin server prints for each router. */
export interface NamedLayer<H> {
  readonly role: string;
  readonly description: string;
  readonly layer: Layer<H>;
}

/** Composes layers so that the first one is outermost: `compose(a, b)(h)` is `a(b(h))`. */
export function compose<H>(...layers: readonly Layer<H>[]): Layer<H> {
  return (inner) => layers.reduceRight((next, layer) => layer(next), inner);
}
