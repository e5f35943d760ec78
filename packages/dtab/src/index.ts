/**
 * @packageDocumentation
 * Finagle's naming language — Path, Dentry, Dtab, NameTree — with zero runtime dependencies.
 */
export type { Dentry, DentryPrefix, DentryPrefixElem } from './dentry.js';
export type { Dtab } from './dtab.js';
export type { NameTree, NameTreeWeighted } from './name-tree.js';
export type { Path } from './path.js';
