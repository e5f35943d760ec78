/**
 * Errors raised by `@switchyard/dtab`.
 *
 * dtab has no dependencies, so `DtabParseError` cannot extend core's `SwitchyardError`. It carries
 * the same brand instead — an own property keyed by `Symbol.for('switchyard.error')` whose value is
 * the code — so `err instanceof SwitchyardError` recognises it, and `instanceof DtabParseError`
 * works across duplicated ESM/CJS copies of this package.
 */

const BRAND = Symbol.for('switchyard.error');

/** Codes owned by `@switchyard/dtab`. */
export type DtabErrorCode = 'SY_ERR_DTAB_PARSE';

/** How many characters of input the message shows on each side of the bad spot. */
const CONTEXT = 32;

/** Where and why a parse failed; the fields of {@link DtabParseError}. */
export interface DtabParseErrorInit {
  /** The whole input text. Only the neighbourhood of `offset` is kept, in the message. */
  readonly text: string;
  /** UTF-16 offset of the offending character (or `text.length` at end of input). */
  readonly offset: number;
  /** What the parser wanted there, in finagle's words: `'/'`, `label char`, `simple`, … */
  readonly expected: string;
}

/**
 * A syntax error in a Path, Dentry prefix, Dentry, Dtab or NameTree text. The parsers throw nothing
 * else, whatever the input.
 *
 * The message reads like finagle's (`NameTreeParsers.illegal`) plus a line and column, and shows the
 * input around the bad spot with it bracketed: `'=>' expected but 'x' found at line 1 column 6:
 * '/foo [x]…'`; at end of input the brackets are empty: `'/foo/bar/[]'`.
 */
export class DtabParseError extends Error {
  /** Always `SY_ERR_DTAB_PARSE`. */
  readonly code: DtabErrorCode = 'SY_ERR_DTAB_PARSE';
  /** UTF-16 offset of the offending character in the input; `input.length` at end of input. */
  readonly offset: number;
  /** 1-based line of `offset` (lines end at `\n`). */
  readonly line: number;
  /** 1-based column of `offset` within its line, in UTF-16 code units. */
  readonly column: number;
  /** What the parser expected at `offset`, e.g. `'/'`, `label char`, `hex char`, `end of input`. */
  readonly expected: string;
  /** The character found at `offset` (a whole code point), or `undefined` at end of input. */
  readonly found: string | undefined;

  constructor(init: DtabParseErrorInit) {
    const { text, offset, expected } = init;
    const found = offset < text.length ? String.fromCodePoint(text.codePointAt(offset)!) : undefined;
    const { line, column } = lineAndColumn(text, offset);
    const foundText = found === undefined ? 'end of input' : `'${found}'`;
    super(
      `${expected} expected but ${foundText} found at line ${line} column ${column}: '${mark(text, offset, found)}'`,
    );
    this.name = 'DtabParseError';
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.expected = expected;
    this.found = found;
    Object.defineProperty(this, BRAND, { value: this.code });
  }

  /** True for any object branded `SY_ERR_DTAB_PARSE`, from whichever copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [BRAND]?: unknown })[BRAND] === 'SY_ERR_DTAB_PARSE'
    );
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** `…before[found]after…`, with control characters escaped so the message stays on one line. */
function mark(text: string, offset: number, found: string | undefined): string {
  const from = Math.max(0, offset - CONTEXT);
  const after = offset + (found?.length ?? 0);
  const to = Math.min(text.length, after + CONTEXT);
  return (
    (from > 0 ? '…' : '') +
    printable(text.slice(from, offset)) +
    `[${printable(found ?? '')}]` +
    printable(text.slice(after, to)) +
    (to < text.length ? '…' : '')
  );
}

function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
