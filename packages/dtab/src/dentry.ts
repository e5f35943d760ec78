/**
 * Dentry: one delegation rule `prefix => tree`, finagle's `com.twitter.finagle.Dentry`.
 *
 * Source: finagle-core `DtabBase.scala` (`Dentry`, `Dentry.Prefix`: show, matches) and
 * `NameTreeParsers.scala` (read).
 */
import { showLabel } from './chars.js';
import { NameTree } from './name-tree.js';
import { readDentry, readPrefix } from './parse.js';
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

const ANY: DentryPrefixElem = Object.freeze({ kind: 'any' });
const EMPTY_PREFIX: DentryPrefix = Object.freeze([]);

function showPrefix(prefix: DentryPrefix): string {
  if (prefix.length === 0) return '/';
  let out = '';
  for (const elem of prefix) out += elem.kind === 'any' ? '/*' : `/${showLabel(elem.value)}`;
  return out;
}

function matches(prefix: DentryPrefix, path: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const elem = prefix[i]!;
    if (elem.kind === 'label' && elem.value !== path[i]) return false;
  }
  return true;
}

function label(value: string): DentryPrefixElem {
  return Object.freeze({ kind: 'label', value });
}

function fromPath(path: Path): DentryPrefix {
  return Object.freeze(path.map(label));
}

/** Helpers for {@link DentryPrefix} (finagle `Dentry.Prefix`). */
const Prefix = Object.freeze({
  /** The empty prefix `/`, which matches every path. */
  empty: EMPTY_PREFIX,
  /** The `*` element: matches exactly one label, whatever it is (finagle `AnyElem`). */
  any: ANY,
  /** A literal label element (finagle `Prefix.Label`); `value` is a non-empty byte-string. */
  label,
  /** The prefix whose elements are the labels of `path` (finagle `Prefix(path)`). */
  fromPath,
  /**
   * Parses a prefix (finagle `Dentry.Prefix.read`): like a path, but an element may be `*`.
   * @throws {DtabParseError} when `text` is not a prefix.
   * @example Dentry.Prefix.read('/svc/web') // [label('svc'), label('web')]
   */
  read: (text: string): DentryPrefix => readPrefix(text),
  /** `/` for the empty prefix, else `/` before each element; `*` for any, labels as `Path.show`. */
  show: showPrefix,
  /**
   * True when `path` has at least `prefix.length` labels and each label element equals the label
   * at its position (`*` matches any one label) — finagle `Prefix.matches`.
   */
  matches,
});

/** Operations on {@link Dentry}s. */
export const Dentry = Object.freeze({
  /** Prefix helpers: `empty`, `any`, `label`, `fromPath`, `read`, `show`, `matches`. */
  Prefix,

  /** A frozen dentry; `prefix` may also be a plain {@link Path} (every element a label). */
  of: (prefix: DentryPrefix | Path, dst: NameTree<Path>): Dentry =>
    Object.freeze({
      prefix:
        prefix.length > 0 && typeof prefix[0] === 'string'
          ? fromPath(prefix as Path)
          : (prefix as DentryPrefix),
      dst,
    }),

  /**
   * Parses one dentry (finagle `Dentry.read`): `dentry ::= prefix '=>' tree` — whitespace allowed
   * around `=>` but not inside it.
   * @throws {DtabParseError} when `text` is not a dentry.
   * @example Dentry.read('/svc => /#/io.l5d.k8s/default/http')
   */
  read: (text: string): Dentry => readDentry(text),

  /**
   * The canonical text, byte-identical to finagle's `Dentry.show`: prefix, `=>` with no spaces,
   * tree (`/svc=>/#/io.l5d.k8s | /$/fail`).
   */
  show: (dentry: Dentry): string => `${showPrefix(dentry.prefix)}=>${NameTree.show(dentry.dst)}`,
});
