/**
 * Name: finagle's `Name` — either a path still to be bound, or a bound name with a live address
 * set. Namers return trees of Names; the interpreter binds until only bound names remain.
 */
import type { Path } from '@switchyard/dtab';
import type { Addr } from './addr.js';
import type { Var } from './var.js';

/**
 * A `path` is still to be bound; a `bound` name has an identity (the namer path that produced it,
 * e.g. `/#/io.l5d.k8s/default/http/world`), a residual path left over after the namer consumed
 * its part, and a live address set.
 */
export type Name =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'bound'; readonly id: Path; readonly residual: Path; readonly addr: Var<Addr> };

/** A bound name. */
export type BoundName = Extract<Name, { kind: 'bound' }>;

const EMPTY_PATH: Path = Object.freeze([]);

/** Constructors for {@link Name}. */
export const Name = Object.freeze({
  /** A name still to be bound. */
  path(path: Path): Name {
    return Object.freeze({ kind: 'path', path });
  },
  /** A bound name: `id` identifies it (two bound names with equal ids are the same destination). */
  bound(id: Path, addr: Var<Addr>, residual: Path = EMPTY_PATH): BoundName {
    return Object.freeze({ kind: 'bound', id, residual, addr });
  },
});
