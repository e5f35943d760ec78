/**
 * @packageDocumentation
 * Finagle's naming language — Path, Dentry, Dtab, NameTree — with zero runtime dependencies.
 *
 * Each name is both a type and a frozen namespace of functions with finagle's names:
 * `Path.read/show`, `Dentry.read/show`, `Dtab.read/show/lookup/concat`,
 * `NameTree.read/show/map/simplify/eval`. `show` output is byte-identical to finagle's.
 */
export { Dentry, type DentryPrefix, type DentryPrefixElem } from './dentry.js';
export { Dtab } from './dtab.js';
export { type DtabErrorCode, DtabParseError, type DtabParseErrorInit } from './errors.js';
export { NameTree, type NameTreeWeighted } from './name-tree.js';
export { MAX_NESTING } from './parse.js';
export { Path } from './path.js';
