/**
 * How an HTTP message crosses between HTTP/1.1 and HTTP/2 at a proxy hop (RFC 9113 §8.2–8.3,
 * RFC 9110 §7.6.1): the request line and `Host` become pseudo-headers and back, connection-specific
 * fields are removed in both directions (HTTP/2 forbids them outright), `TE` survives only as
 * `TE: trailers`, cookie crumbs are rejoined for HTTP/1.1, and trailers lose the fields that may
 * never be trailers. Pure functions over Node's lower-cased header objects, so every rule is
 * property-tested without sockets; the h2 server and pool layers call them.
 */
import { isHopByHop } from '../headers.js';

/** A lower-cased header object as `node:http` and `node:http2` hand them over. */
export type Fields = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** A lower-cased header object to send (values are strings or lists of strings). */
export type OutFields = Record<string, string | string[]>;

/** An HTTP/1.1 request head: the request line and the fields, `host` included. */
export interface H1RequestHead {
  readonly method: string;
  /** The request target: origin-form (`/p?q`), absolute-form, authority-form (CONNECT) or `*`. */
  readonly url: string;
  readonly headers: OutFields;
}

/** The result of reading an HTTP/2 request head: malformed requests name the field (RFC 9113 §8.1.1). */
export type H2RequestRead =
  | { readonly kind: 'ok'; readonly head: H1RequestHead }
  | { readonly kind: 'malformed'; readonly field: string; readonly reason: string };

/** The request pseudo-headers RFC 9113 §8.3.1 defines. */
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);

/** Fields that make an HTTP/2 message malformed (RFC 9113 §8.2.2); `te` only when not `trailers`. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
]);

/**
 * True for a field that must not cross this hop: RFC 9110's hop-by-hop fields (`isHopByHop`),
 * `Host` (carried by `:authority` on HTTP/2), and every field the `Connection` header names.
 */
function dropped(name: string, connectionNames: ReadonlySet<string>): boolean {
  return isHopByHop(name) || connectionNames.has(name);
}

function text(value: string | readonly string[] | number): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value.join(', ');
}

/** The field names listed in `Connection` (lower-cased), which are hop-by-hop by declaration. */
export function connectionNames(headers: Fields): ReadonlySet<string> {
  const value = headers.connection;
  if (value === undefined) return new Set();
  return new Set(
    text(value)
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
}

/** True when a `TE` value lists `trailers` (the only `TE` HTTP/2 allows, RFC 9113 §8.2.2). */
export function teAllowsTrailers(value: string | readonly string[] | number | undefined): boolean {
  if (value === undefined) return false;
  return text(value)
    .split(',')
    .some((token) => token.split(';')[0]!.trim().toLowerCase() === 'trailers');
}

/**
 * The end-to-end fields of a message: hop-by-hop fields, the ones `Connection` names, pseudo-headers
 * and `host` removed; `te` kept as `trailers` when it asked for trailers. Values are copied, never
 * shared with the input.
 */
export function endToEndFields(headers: Fields): OutFields {
  const named = connectionNames(headers);
  const out: OutFields = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || name === 'host') continue;
    if (dropped(name, named)) continue;
    out[name] = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value];
  }
  if (teAllowsTrailers(headers.te)) out.te = 'trailers';
  return out;
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

/**
 * An HTTP/1.1 request head as HTTP/2 request fields: `:method`, `:scheme` (from an absolute-form
 * target, else `scheme`), `:authority` (the target's authority, else `Host`) and `:path`
 * (origin-form path and query; `/` for an empty absolute path; `*` for `OPTIONS *`). CONNECT
 * carries only `:method` and `:authority` (RFC 9113 §8.5). Userinfo never reaches `:authority`.
 */
export function h1RequestToH2(head: H1RequestHead, scheme: 'http' | 'https'): OutFields {
  const out: OutFields = { ':method': head.method };
  const host = head.headers.host;
  const hostText = host === undefined ? undefined : text(host);
  if (head.method === 'CONNECT') {
    out[':authority'] = head.url;
    return { ...out, ...endToEndFields(head.headers) };
  }
  const m = ABSOLUTE.exec(head.url);
  if (m !== null) {
    const authority = m[2]!;
    const at = authority.lastIndexOf('@');
    out[':scheme'] = m[1]!.toLowerCase();
    out[':authority'] = at === -1 ? authority : authority.slice(at + 1);
    out[':path'] = m[3] === '' ? '/' : m[3]!.startsWith('?') ? `/${m[3]}` : m[3]!;
  } else {
    out[':scheme'] = scheme;
    if (hostText !== undefined && hostText !== '') out[':authority'] = hostText;
    out[':path'] = head.url;
  }
  return { ...out, ...endToEndFields(head.headers) };
}

/**
 * HTTP/2 request fields as an HTTP/1.1 request head: `:authority` becomes `Host` (a `Host` that
 * disagrees with it is malformed, RFC 9113 §8.3.1), `:path` the target, cookie crumbs are joined
 * with `; ` (RFC 9113 §8.2.3), connection-specific fields are malformed (§8.2.2), and unknown or
 * missing pseudo-headers make the request malformed, naming the field.
 */
export function h2RequestToH1(headers: Fields): H2RequestRead {
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58 && !REQUEST_PSEUDO.has(name)) {
      return { kind: 'malformed', field: name, reason: 'unknown pseudo-header' };
    }
    if (
      CONNECTION_SPECIFIC.has(name) &&
      !(
        name === 'te' &&
        text(headers.te ?? '')
          .trim()
          .toLowerCase() === 'trailers'
      )
    ) {
      return { kind: 'malformed', field: name, reason: 'connection-specific field in HTTP/2' };
    }
  }
  const method = headers[':method'];
  if (typeof method !== 'string' || method === '') {
    return { kind: 'malformed', field: ':method', reason: 'missing' };
  }
  const authority = typeof headers[':authority'] === 'string' ? (headers[':authority'] as string) : undefined;
  const hostValue = headers.host;
  const host = hostValue === undefined ? undefined : text(hostValue);
  if (authority !== undefined && host !== undefined && host.toLowerCase() !== authority.toLowerCase()) {
    return {
      kind: 'malformed',
      field: 'host',
      reason: `differs from :authority ${JSON.stringify(authority)}`,
    };
  }
  const out = endToEndFields(headers);
  const hostOut = authority ?? host;
  if (hostOut !== undefined) out.host = hostOut;
  const cookie = headers.cookie;
  if (cookie !== undefined && typeof cookie !== 'string' && typeof cookie !== 'number') {
    out.cookie = cookie.join('; ');
  }
  if (method === 'CONNECT') {
    if (authority === undefined)
      return { kind: 'malformed', field: ':authority', reason: 'missing on CONNECT' };
    return { kind: 'ok', head: { method, url: authority, headers: out } };
  }
  const path = headers[':path'];
  if (typeof path !== 'string' || path === '')
    return { kind: 'malformed', field: ':path', reason: 'missing' };
  if (typeof headers[':scheme'] !== 'string')
    return { kind: 'malformed', field: ':scheme', reason: 'missing' };
  return { kind: 'ok', head: { method, url: path, headers: out } };
}

/** HTTP/1.1 response fields as HTTP/2 response fields: `:status` added, connection-specific fields removed. */
export function h1ResponseToH2(status: number, headers: Fields): OutFields {
  const out = endToEndFields(headers);
  delete out.te;
  return { ':status': String(status), ...out };
}

/** HTTP/2 response fields as an HTTP/1.1 status and fields (pseudo-headers and hop-by-hop removed). */
export function h2ResponseToH1(headers: Fields): { readonly status: number; readonly headers: OutFields } {
  const status = Number(headers[':status'] ?? 502);
  const out = endToEndFields(headers);
  delete out.te;
  return { status, headers: out };
}

/**
 * Fields that may never be sent as trailers because they frame, route, authenticate or control the
 * message (RFC 9110 §6.5.1); a proxy drops them rather than merge them into the header section.
 */
const NOT_TRAILERS = new Set([
  'authorization',
  'cache-control',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'expect',
  'host',
  'max-forwards',
  'pragma',
  'range',
  'set-cookie',
  'trailer',
  'www-authenticate',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Trailers to forward, either direction (h2↔h2, HTTP/1.1 chunked ↔ h2): pseudo-headers,
 * hop-by-hop fields and the fields RFC 9110 §6.5.1 forbids in trailers are removed; `grpc-status`,
 * `grpc-message` and every other end-to-end field pass unchanged.
 */
export function forwardableTrailers(trailers: Fields): OutFields {
  const out: OutFields = {};
  for (const [name, value] of Object.entries(trailers)) {
    if (value === undefined || name.charCodeAt(0) === 58 || isHopByHop(name) || NOT_TRAILERS.has(name))
      continue;
    out[name] = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value];
  }
  return out;
}

/** The `Trailer` field an HTTP/1.1 chunked message announces for `trailers` (names, comma-separated), or undefined for none. */
export function trailerAnnouncement(trailers: Fields): string | undefined {
  const names = Object.keys(forwardableTrailers(trailers));
  return names.length === 0 ? undefined : names.join(', ');
}
