/**
 * Character classes of finagle's naming language, shared by the parser and the printers.
 *
 * Source: finagle `Path.scala` (`showableChars`, `isShowable`, `showElem`) and
 * `NameTreeParsers.scala` (`eatWhitespace` uses Java's `Character.isWhitespace`).
 */

/** `[0-9A-Za-z_:.#$%-]`, finagle's `Path.showableChars`, as a 128-entry lookup table. */
const SHOWABLE = (() => {
  const table = new Uint8Array(128);
  const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-';
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

/** True when UTF-16 code unit `c` may appear unescaped in a label (finagle `Path.isShowable`). */
export function isShowable(c: number): boolean {
  return c < 128 && SHOWABLE[c] === 1;
}

/**
 * Java's `Character.isWhitespace` for a UTF-16 code unit, which finagle's parser uses: Unicode
 * space, line and paragraph separators except the no-break spaces U+00A0, U+2007 and U+202F, plus
 * `\t \n \v \f \r` and U+001C–U+001F.
 */
export function isJavaWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x1680) return false;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a && c !== 0x2007) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x205f ||
    c === 0x3000
  );
}

const HEX = '0123456789abcdef';

function escapeByte(b: number): string {
  return `\\x${HEX[(b >> 4) & 0xf]}${HEX[b & 0xf]}`;
}

/**
 * Shows one path label (finagle `Path.showElem`): verbatim when every character is showable,
 * otherwise EVERY byte as a lowercase `\xHH` escape — finagle escapes the whole element, not just
 * the offending bytes. A character above U+00FF (outside the Path contract) is written as the
 * escapes of its UTF-8 bytes.
 */
export function showLabel(label: string): string {
  let plain = true;
  for (let i = 0; i < label.length; i++) {
    if (!isShowable(label.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return label;
  let out = '';
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c <= 0xff) out += escapeByte(c);
    else {
      const cp = label.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of utf8(cp)) out += escapeByte(b);
    }
  }
  return out;
}

/** UTF-8 bytes of a code point; lone surrogates become U+FFFD as `TextEncoder` does. */
export function utf8(cp: number): number[] {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}
