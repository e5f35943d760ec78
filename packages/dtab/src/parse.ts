/**
 * The hand-written recursive-descent parser for paths, dentry prefixes, dentries, dtabs and name
 * trees — a transliteration of finagle's `NameTreeParsers.scala` (finagle-core, the 2017+ version
 * with `#` comments and `*` prefix elements), so that exactly the texts finagle accepts are
 * accepted and they mean the same thing.
 *
 * Guarantees: it throws nothing but {@link DtabParseError}; every step consumes input or fails, so
 * it terminates in time linear in the input; parenthesis nesting is capped at
 * {@link MAX_NESTING} so deep input cannot overflow the stack (finagle has no cap and would
 * overflow the JVM stack instead).
 *
 * Just over ~300 lines on purpose: one grammar, one cursor; splitting the productions across files
 * would only scatter the recursion.
 */
import {
  alt,
  type Dentry,
  type DentryPrefix,
  type DentryPrefixElem,
  type Dtab,
  EMPTY,
  FAIL,
  leaf,
  type NameTree,
  type NameTreeWeighted,
  NEG,
  type Path,
  union,
  weighted,
} from './ast.js';
import { isJavaWhitespace, isShowable } from './chars.js';
import { DtabParseError } from './errors.js';

/** Deepest parenthesis nesting the parser accepts. */
export const MAX_NESTING = 1000;

const EOI = -1;
const C_HASH = 0x23; // #
const C_SLASH = 0x2f;
const C_BACKSLASH = 0x5c;
const C_STAR = 0x2a;
const C_DOT = 0x2e;

const EMPTY_PATH: Path = Object.freeze([]);
const EMPTY_PREFIX: DentryPrefix = Object.freeze([]);
const ANY_ELEM: DentryPrefixElem = Object.freeze({ kind: 'any' });

/** Parser state: the input and a cursor. */
interface State {
  readonly text: string;
  pos: number;
  depth: number;
}

function peek(s: State): number {
  return s.pos < s.text.length ? s.text.charCodeAt(s.pos) : EOI;
}

function illegal(s: State, expected: string): never {
  throw new DtabParseError({ text: s.text, offset: s.pos, expected });
}

function maybeEat(s: State, c: number): boolean {
  if (peek(s) !== c) return false;
  s.pos++;
  return true;
}

function eat(s: State, c: number): void {
  if (!maybeEat(s, c)) illegal(s, `'${String.fromCharCode(c)}'`);
}

/** Whitespace and `#` comments up to and including the end of the line. */
function eatWhitespace(s: State): void {
  const { text } = s;
  while (s.pos < text.length) {
    const c = text.charCodeAt(s.pos);
    if (c === C_HASH) {
      const nl = text.indexOf('\n', s.pos);
      s.pos = nl === -1 ? text.length : nl + 1;
    } else if (isJavaWhitespace(c)) s.pos++;
    else return;
  }
}

function ensureEnd(s: State, alternatives: string): void {
  if (s.pos < s.text.length) illegal(s, `${alternatives}end of input`);
}

function isLabelChar(c: number): boolean {
  return isShowable(c) || c === C_BACKSLASH;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function parseHexChar(s: State): number {
  const v = hexValue(peek(s));
  if (v < 0) illegal(s, 'hex char');
  s.pos++;
  return v;
}

/** One or more showable characters or `\xHH` escapes; each escape decodes to one byte-char. */
function parseLabel(s: State): string {
  const { text } = s;
  let out = '';
  let runStart = s.pos;
  for (;;) {
    const c = peek(s);
    if (isShowable(c)) s.pos++;
    else if (c === C_BACKSLASH) {
      out += text.slice(runStart, s.pos);
      s.pos++;
      eat(s, 0x78); // x
      const hi = parseHexChar(s);
      const lo = parseHexChar(s);
      out += String.fromCharCode((hi << 4) | lo);
      runStart = s.pos;
    } else if (s.pos === runStart && out === '') illegal(s, 'label char');
    else break;
  }
  return out + text.slice(runStart, s.pos);
}

function parsePath(s: State): Path {
  eatWhitespace(s);
  eat(s, C_SLASH);
  if (!isLabelChar(peek(s))) return EMPTY_PATH;
  const labels: string[] = [];
  do labels.push(parseLabel(s));
  while (maybeEat(s, C_SLASH));
  return Object.freeze(labels);
}

function parsePrefix(s: State): DentryPrefix {
  eatWhitespace(s);
  eat(s, C_SLASH);
  const first = peek(s);
  if (!isLabelChar(first) && first !== C_STAR) return EMPTY_PREFIX;
  const elems: DentryPrefixElem[] = [];
  do {
    if (maybeEat(s, C_STAR)) elems.push(ANY_ELEM);
    else elems.push(Object.freeze({ kind: 'label', value: parseLabel(s) }));
  } while (maybeEat(s, C_SLASH));
  return Object.freeze(elems);
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === C_DOT;
}

/** `[0-9]*\.?[0-9]*`, not a lone `.`; finagle reads it with `toDouble`, so `5.` and `.5` are fine. */
function parseNumber(s: State): number {
  const start = s.pos;
  let seenDot = false;
  for (let c = peek(s); isNumberChar(c); c = peek(s)) {
    if (c === C_DOT) {
      if (seenDot) illegal(s, 'number char');
      seenDot = true;
    }
    s.pos++;
  }
  if (s.pos - start === 1 && seenDot) {
    s.pos = start;
    illegal(s, 'weight');
  }
  return Number(s.text.slice(start, s.pos));
}

function parseTree(s: State): NameTree<Path> {
  const trees: NameTree<Path>[] = [];
  do {
    trees.push(parseTree1(s));
    eatWhitespace(s);
  } while (maybeEat(s, 0x7c)); // |
  return trees.length > 1 ? alt(trees) : trees[0]!;
}

function parseTree1(s: State): NameTree<Path> {
  const trees: NameTreeWeighted<Path>[] = [];
  do {
    trees.push(parseWeighted(s));
    eatWhitespace(s);
  } while (maybeEat(s, 0x26)); // &
  // A lone member drops its weight, as finagle does: `2 * /a` reads as `/a`.
  return trees.length > 1 ? union(trees) : trees[0]!.tree;
}

function parseWeighted(s: State): NameTreeWeighted<Path> {
  eatWhitespace(s);
  let weight = 1;
  if (isNumberChar(peek(s))) {
    weight = parseNumber(s);
    eatWhitespace(s);
    eat(s, C_STAR);
    eatWhitespace(s);
  }
  return weighted(weight, parseSimple(s));
}

function parseSimple(s: State): NameTree<Path> {
  eatWhitespace(s);
  switch (peek(s)) {
    case 0x28: {
      // (
      if (s.depth >= MAX_NESTING) illegal(s, `at most ${MAX_NESTING} nested '('`);
      s.pos++;
      s.depth++;
      const tree = parseTree(s);
      eatWhitespace(s);
      eat(s, 0x29); // )
      s.depth--;
      return tree;
    }
    case C_SLASH:
      return leaf(parsePath(s));
    case 0x21: // !
      s.pos++;
      return FAIL;
    case 0x7e: // ~
      s.pos++;
      return NEG;
    case 0x24: // $
      s.pos++;
      return EMPTY;
    default:
      return illegal(s, 'simple');
  }
}

function parseDentry(s: State): Dentry {
  const prefix = parsePrefix(s);
  eatWhitespace(s);
  eat(s, 0x3d); // =
  eat(s, 0x3e); // >
  const dst = parseTree(s);
  return Object.freeze({ prefix, dst });
}

function parseDtab(s: State): Dtab {
  const dentries: Dentry[] = [];
  do {
    eatWhitespace(s);
    if (s.pos < s.text.length) {
      dentries.push(parseDentry(s));
      eatWhitespace(s);
    }
  } while (maybeEat(s, 0x3b)); // ;
  return Object.freeze(dentries);
}

function state(text: string): State {
  if (typeof text !== 'string') throw new DtabParseError({ text: '', offset: 0, expected: 'a string' });
  return { text, pos: 0, depth: 0 };
}

/** Parses a whole text as a Path (finagle `Path.read`). */
export function readPath(text: string): Path {
  const s = state(text);
  const path = parsePath(s);
  eatWhitespace(s);
  ensureEnd(s, "'/' or ");
  return path;
}

/** Parses a whole text as a dentry prefix (finagle `Dentry.Prefix.read`). */
export function readPrefix(text: string): DentryPrefix {
  const s = state(text);
  const prefix = parsePrefix(s);
  eatWhitespace(s);
  ensureEnd(s, "'/' or ");
  return prefix;
}

/** Parses a whole text as a NameTree of paths (finagle `NameTree.read`). */
export function readNameTree(text: string): NameTree<Path> {
  const s = state(text);
  const tree = parseTree(s);
  eatWhitespace(s);
  ensureEnd(s, "'&', '|' or ");
  return tree;
}

/** Parses a whole text as one Dentry (finagle `Dentry.read`). */
export function readDentry(text: string): Dentry {
  const s = state(text);
  const dentry = parseDentry(s);
  eatWhitespace(s);
  ensureEnd(s, "'&', '|' or ");
  return dentry;
}

/** Parses a whole text as a Dtab (finagle `Dtab.read`); empty or blank text is the empty dtab. */
export function readDtab(text: string): Dtab {
  const s = state(text);
  const dtab = parseDtab(s);
  eatWhitespace(s);
  ensureEnd(s, "';' or ");
  return dtab;
}
