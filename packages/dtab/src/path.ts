/**
 * Path: a hierarchical name, finagle's `com.twitter.finagle.Path`.
 *
 * A path is an immutable array of labels. Each label is a non-empty string whose characters are
 * bytes (code points 0–255): `\xHH` escapes in the text form decode to one such character each, so
 * a path round-trips byte-exactly through `read`/`show` as finagle's `Buf`-based paths do.
 *
 * Source: finagle-core `Path.scala` (show, showElem, startsWith, ++) and `NameTreeParsers.scala`.
 */
import { showLabel, utf8 } from './chars.js';
import { readPath } from './parse.js';

/**
 * A hierarchical name: labels whose characters are bytes (0–255), e.g. `['svc', 'web']` for
 * `/svc/web`. Labels are never empty. Treat paths as immutable; `Path.read` returns frozen arrays.
 */
export type Path = readonly string[];

const EMPTY: Path = Object.freeze([]);

function show(path: Path): string {
  if (path.length === 0) return '/';
  let out = '';
  for (const label of path) out += `/${showLabel(label)}`;
  return out;
}

function startsWith(path: Path, prefix: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

function concat(a: Path, b: Path): Path {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return Object.freeze([...a, ...b]);
}

function equals(a: Path, b: Path): boolean {
  return a.length === b.length && startsWith(a, b);
}

function utf8Label(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += ch;
    else for (const b of utf8(cp)) out += String.fromCharCode(b);
  }
  return out;
}

/**
 * Operations on {@link Path}s. Every function is pure; returned paths are frozen.
 */
export const Path = Object.freeze({
  /** The empty path, shown as `/`. */
  empty: EMPTY,

  /**
   * Parses a path (finagle `Path.read`):
   * `path ::= '/' | '/' label ('/' label)*`, `label ::= ([0-9A-Za-z_:.#$%-] | '\x' hex hex)+`,
   * surrounded by optional whitespace and `#` comments. A trailing `/` is an error.
   * @throws {DtabParseError} when `text` is not a path.
   * @example Path.read('/svc/web') // ['svc', 'web']
   * @example Path.read('/\\x66oo') // ['foo']
   */
  read: (text: string): Path => readPath(text),

  /**
   * The canonical text of a path, byte-identical to finagle's `Path.show`: `/` for the empty path,
   * else `/` before each label. A label made only of `[0-9A-Za-z_:.#$%-]` is shown verbatim;
   * otherwise every one of its bytes is shown as lowercase `\xHH` (so `a b` shows as
   * `\x61\x20\x62`).
   */
  show,

  /** Shows one label the way {@link Path.show} does (finagle `Path.showElem`). */
  showLabel,

  /** True when the first `prefix.length` labels of `path` equal `prefix` (finagle `startsWith`). */
  startsWith,

  /** `a` followed by `b` (finagle `++`); returns `a` or `b` itself when the other is empty. */
  concat,

  /** Label-wise equality. */
  equals,

  /**
   * A frozen path from UTF-8 text labels (finagle `Path.Utf8`): each label's characters are
   * encoded as UTF-8 bytes, so `Path.utf8('café')` shows as `/\x63\x61\x66\xc3\xa9`.
   */
  utf8: (...labels: string[]): Path => Object.freeze(labels.map(utf8Label)),
});
