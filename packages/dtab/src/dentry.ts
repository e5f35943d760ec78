import type { NameTree } from './name-tree.js';
import type { Path } from './path.js';

/** One element of a dentry prefix: a literal label or `*`, which matches exactly one label. */
export type DentryPrefixElem = { readonly kind: 'label'; readonly value: string } | { readonly kind: 'any' };

/** A dentry prefix, finagle's `Dentry.Prefix`. */
export type DentryPrefix = readonly DentryPrefixElem[];

/** A delegation entry `prefix => dst`, finagle's `Dentry`. */
export interface Dentry {
  readonly prefix: DentryPrefix;
  readonly dst: NameTree<Path>;
}
