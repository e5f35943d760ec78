/**
 * The request's cookies, parsed from the `Cookie` header as RFC 6265 §4.2.1 and §5.4 describe,
 * once per request and only when an identifier asks: several cookie identifiers on one router
 * share one parse.
 */
import type { RequestHead } from '@switchyard/core';

/** `token` (RFC 9110 §5.6.2): a cookie name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `*cookie-octet`, optionally in double quotes (RFC 6265 §4.1.1). */
const COOKIE_VALUE =
  /^(?:"([\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*)"|([\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*))$/;

const EMPTY: ReadonlyMap<string, string> = new Map();

/**
 * One `Cookie` header parsed: the well-formed pairs, and the names of the pairs that were
 * skipped because their value is not `cookie-octet`s (a pair without `=` or with a non-token name
 * is counted in `malformed` under the empty name). Callers report only the names they care about,
 * so a broken cookie of some other application does not flood logs.
 */
export interface ParsedCookies {
  readonly cookies: ReadonlyMap<string, string>;
  readonly malformed: readonly string[];
}

const NONE: ParsedCookies = Object.freeze({ cookies: EMPTY, malformed: Object.freeze([]) });

/**
 * Parses one `Cookie` header value into name → value, recording skipped pairs. Pairs are split on
 * `;`, optional whitespace around them is ignored (browsers and proxies vary), and a pair is
 * skipped when it has no `=`, its name is not a token, or its value has characters outside
 * `cookie-octet` (a surrounding pair of double quotes is removed). When a name repeats, the first
 * value wins (the most specific path, RFC 6265 §5.4 step 2). Never throws.
 */
export function parseCookieHeader(header: string): ParsedCookies {
  if (header.trim() === '') return NONE;
  const out = new Map<string, string>();
  const malformed: string[] = [];
  for (const part of header.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? '' : part.slice(0, eq).trim();
    if (!TOKEN.test(name)) {
      malformed.push('');
      continue;
    }
    if (out.has(name)) continue;
    const m = COOKIE_VALUE.exec(part.slice(eq + 1).trim());
    if (m === null) {
      malformed.push(name);
      continue;
    }
    out.set(name, m[1] ?? m[2]!);
  }
  return { cookies: out, malformed };
}

/** The well-formed pairs of one `Cookie` header value (see {@link parseCookieHeader}). */
export function parseCookies(header: string): ReadonlyMap<string, string> {
  return parseCookieHeader(header).cookies;
}

const parsed = new WeakMap<object, ParsedCookies>();

/**
 * The parsed `Cookie` header of `req`, parsed on first use and cached for the life of its
 * `headers` object. Several `Cookie` header lines (HTTP/2 sends one per cookie) are read as one
 * list, as RFC 9113 §8.2.3 says to join them with `; `.
 */
export function requestCookieHeader(req: RequestHead): ParsedCookies {
  const headers = req.headers;
  const hit = parsed.get(headers);
  if (hit !== undefined) return hit;
  const raw = headers.cookie;
  const result = raw === undefined ? NONE : parseCookieHeader(typeof raw === 'string' ? raw : raw.join('; '));
  parsed.set(headers, result);
  return result;
}

/** The cookies of `req`, parsed once per request (see {@link requestCookieHeader}). */
export function requestCookies(req: RequestHead): ReadonlyMap<string, string> {
  return requestCookieHeader(req).cookies;
}
