import type { Path } from '@switchyard/dtab';
import type { Addr } from './addr.js';
import type { Var } from './var.js';

/**
 * Name: finagle's `Name`. A `path` is still to be bound; a `bound` name has an identity
 * (the namer path that produced it, e.g. `/#/io.l5d.k8s/default/http/world`), a residual path
 * left over after the namer consumed its part, and a live address set.
 */
export type Name =
  | { readonly kind: 'path'; readonly path: Path }
  | { readonly kind: 'bound'; readonly id: Path; readonly residual: Path; readonly addr: Var<Addr> };

/** A bound name. */
export type BoundName = Extract<Name, { kind: 'bound' }>;
