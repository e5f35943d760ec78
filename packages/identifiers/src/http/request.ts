/**
 * The parts of a `RequestHead` that Linkerd's HTTP identifiers read, computed the way finagle
 * does: `path` is the request target up to `?` (not decoded), the host is the `Host` header.
 * Absolute-form targets (`GET http://h/p`) are read as if Linkerd's ProxyRewriteFilter had
 * already run: the authority is the host and the path is the URI's path.
 */
import type { RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';

/** A request target split into the pieces identifiers need. */
export interface Target {
  /** `scheme://authority` for absolute-form targets, otherwise `''`. */
  readonly origin: string;
  /** Authority without userinfo for absolute-form targets, otherwise `undefined`. */
  readonly authority: string | undefined;
  /** finagle's `Request.path`: everything before `?`, not decoded. */
  readonly path: string;
  /** `?` and everything after it, or `''`. */
  readonly query: string;
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/** Splits `url` (origin-form or absolute-form) into origin, path and query. */
export function splitTarget(url: string): Target {
  let origin = '';
  let authority: string | undefined;
  let rest = url;
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE.exec(url);
    if (m !== null) {
      origin = m[0];
      const at = m[2]!.lastIndexOf('@');
      // userinfo never names a service (and must not leak into names or metrics).
      authority = at === -1 ? m[2]! : m[2]!.slice(at + 1);
      rest = url.slice(origin.length);
      if (rest === '' || rest.charCodeAt(0) === 63 /* '?' */) rest = `/${rest}`;
    }
  }
  const q = rest.indexOf('?');
  return q === -1
    ? { origin, authority, path: rest, query: '' }
    : { origin, authority, path: rest.slice(0, q), query: rest.slice(q) };
}

/**
 * The first value of header `lowerName` (names in `RequestHead` are lower-case), like finagle's
 * `headerMap.get`. For `host`, an absolute-form target's authority wins (RFC 9112 §3.2.2).
 */
export function headerValue(req: RequestHead, lowerName: string): string | undefined {
  // HTTP/2 pseudo-headers (RFC 9113 §8.3.1): `:authority` is what HTTP/1.1 calls Host.
  if (lowerName.charCodeAt(0) === 58) {
    if (lowerName === ':authority') return headerValue(req, 'host');
    if (lowerName === ':path') return req.url;
    if (lowerName === ':method') return req.method;
  }
  if (lowerName === 'host' && req.url.charCodeAt(0) !== 47) {
    const authority = splitTarget(req.url).authority;
    if (authority !== undefined) return authority;
  }
  const v = req.headers[lowerName];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v[0];
}

const NON_BYTE = /[^\x00-\xff]/;

/**
 * A label as finagle's `Path.Utf8` would build it. Path labels are byte strings; node already
 * hands header values and targets over as latin1 (one char per byte), so only text with code
 * points above 0xFF (decoded elsewhere) is re-encoded as UTF-8.
 */
export function byteLabel(s: string): string {
  return NON_BYTE.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/**
 * `s.split("/")` with Java's semantics, which Linkerd's path identifier relies on: trailing
 * empty strings are removed (so `"/a/b/"` gives `["", "a", "b"]` and `"/"` gives `[]`).
 */
export function javaSplitSlash(s: string): string[] {
  const parts = s.split('/');
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  if (end === 0) return s.length === 0 ? [''] : [];
  return end === parts.length ? parts : parts.slice(0, end);
}

/** Reads a path option (`dstPrefix`, `path`) given as text or as a `Path`. */
export function readPathOption(
  value: string | Path,
  onError: (message: string, cause: unknown) => Error,
): Path {
  if (typeof value !== 'string') return value;
  try {
    return Path.read(value);
  } catch (err) {
    throw onError(err instanceof Error ? err.message : String(err), err);
  }
}

/** The message of a parse failure, as Linkerd puts it after `Unknown destination: … / `. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
