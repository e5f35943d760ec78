/**
 * Header rules of a proxy hop, as Linkerd's StripHopByHopHeadersFilter, ViaHeaderAppenderFilter,
 * ProxyRewriteFilter and LinkerdHeaders do them: what a hop must remove, what it adds, and which
 * `l5d-*` context it reads. Kept free of I/O so every rule is unit-testable.
 *
 * Headers are node's lower-cased header object. Removal assigns `undefined` instead of `delete`
 * (undici skips `undefined` values) so V8 keeps the object in fast mode on the hot path.
 */

/** A mutable lower-cased header map, as node and undici use it. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** What `l5d-*` routing context an inbound request carried (only read when clearContext is off). */
export interface InboundContext {
  /** `dtab-local`, `l5d-ctx-dtab`, `l5d-dtab`, in the order they are appended to the base dtab. */
  readonly dtabHeaders: readonly (readonly [header: string, value: string])[];
}

const EMPTY_CONTEXT: InboundContext = Object.freeze({ dtabHeaders: Object.freeze([]) });

/** The `Via` token this proxy appends, RFC 9110 §7.6.3. */
export const VIA = '1.1 switchyard';

/**
 * True for headers that belong to one connection and must not be forwarded (RFC 9110 §7.6.1):
 * Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade and every `Proxy-*`.
 * `name` must be lower-case.
 */
export function isHopByHop(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return name.startsWith('proxy-');
  }
}

/** True for `l5d-*` (lower-case) names: Linkerd's context headers. */
export function isL5d(name: string): boolean {
  return name.charCodeAt(0) === 108 /* l */ && name.startsWith('l5d-');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** True when a Connection value names no other header (the common `keep-alive` / `close`). */
export function namesNoHeaders(connection: string): boolean {
  switch (connection.length) {
    case 5:
      return connection.toLowerCase() === 'close';
    case 10:
      return connection.toLowerCase() === 'keep-alive';
    default:
      return false;
  }
}

/** Removes the headers named by `Connection` (RFC 9110 §7.6.1), then Connection itself is removed by the caller. */
function stripConnectionTokens(headers: HeaderMap): void {
  const connection = first(headers.connection);
  if (connection === undefined || namesNoHeaders(connection)) return;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive' && name in headers)
      headers[name] = undefined;
  }
}

/**
 * True when `prepareRequestHeaders` would change or read anything in `headers` (hop-by-hop,
 * `Expect`, `l5d-*`, `dtab-local`): callers copy the map only then.
 */
export function needsPreparing(headers: Readonly<Record<string, unknown>>): boolean {
  for (const name in headers) {
    if (isHopByHop(name) || isL5d(name) || name === 'expect' || name === 'dtab-local') return true;
  }
  return false;
}

/**
 * Prepares an inbound request's headers for forwarding, in place: strips hop-by-hop headers and
 * `Expect` (the 100-continue handshake is answered by this hop). With `clearContext` every
 * `l5d-*` header and `dtab-local` is dropped unread. Without it the dtab headers are returned
 * (and removed: the router re-emits the combined local dtab as `l5d-ctx-dtab`) and other
 * `l5d-*` headers pass through.
 */
export function prepareRequestHeaders(headers: HeaderMap, clearContext: boolean): InboundContext {
  let dtabLocal: string | undefined;
  let ctxDtab: string | undefined;
  let l5dDtab: string | undefined;
  let sawConnection = false;
  for (const name in headers) {
    if (isHopByHop(name)) {
      if (name === 'connection') sawConnection = true;
      else headers[name] = undefined;
    } else if (name === 'expect') {
      headers[name] = undefined;
    } else if (isL5d(name)) {
      if (clearContext) headers[name] = undefined;
      else if (name === 'l5d-dtab') {
        l5dDtab = first(headers[name]);
        headers[name] = undefined;
      } else if (name === 'l5d-ctx-dtab') {
        ctxDtab = first(headers[name]);
        headers[name] = undefined;
      }
    } else if (name === 'dtab-local') {
      if (!clearContext) dtabLocal = first(headers[name]);
      headers[name] = undefined;
    }
  }
  if (sawConnection) {
    stripConnectionTokens(headers);
    headers.connection = undefined;
  }
  if (dtabLocal === undefined && ctxDtab === undefined && l5dDtab === undefined) return EMPTY_CONTEXT;
  const dtabHeaders: (readonly [string, string])[] = [];
  if (dtabLocal !== undefined && dtabLocal.trim() !== '') dtabHeaders.push(['dtab-local', dtabLocal]);
  if (ctxDtab !== undefined && ctxDtab.trim() !== '') dtabHeaders.push(['l5d-ctx-dtab', ctxDtab]);
  if (l5dDtab !== undefined && l5dDtab.trim() !== '') dtabHeaders.push(['l5d-dtab', l5dDtab]);
  return { dtabHeaders };
}

/**
 * Filters a response's headers for the client: strips hop-by-hop headers (and those named by
 * Connection), strips every `l5d-*` header when `clearContext` is on, and appends `Via`.
 * Returns a new object; `upstream` is not modified.
 */
export function prepareResponseHeaders(upstream: HeaderMap, clearContext: boolean): HeaderMap {
  const out: HeaderMap = {};
  let connection: string | undefined;
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    if (isHopByHop(name)) {
      if (name === 'connection') connection = first(value);
      continue;
    }
    if (clearContext && isL5d(name)) continue;
    out[name] = value;
  }
  if (connection !== undefined && !namesNoHeaders(connection)) {
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase();
      // `delete`, not `undefined`: node's writeHead rejects undefined values. Rare path.
      if (name in out) delete out[name];
    }
  }
  out.via = appendList(out.via, VIA);
  return out;
}

/** Appends `item` to a comma-separated list header. */
export function appendList(existing: string | string[] | undefined, item: string): string {
  if (existing === undefined || existing === '') return item;
  return `${Array.isArray(existing) ? existing.join(', ') : existing}, ${item}`;
}

/**
 * Number of proxy hops recorded in `Via` (one per comma-separated entry). Linkerd compares this
 * with `maxCallDepth` to stop routing loops.
 */
export function viaHops(via: string | string[] | undefined): number {
  if (via === undefined) return 0;
  const text = Array.isArray(via) ? via.join(',') : via;
  if (text.trim() === '') return 0;
  let hops = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 44 /* , */) hops++;
  return hops;
}

/** Where a request came from, for `X-Forwarded-*` and `Forwarded`. */
export interface ForwardingInfo {
  readonly remoteAddress: string;
  readonly secure: boolean;
  /** The Host the client asked for (before any rewrite), if any. */
  readonly host: string | undefined;
}

/** Which forwarding headers to add. */
export interface ForwardedHeaderOptions {
  /** Append `X-Forwarded-For`, set `X-Forwarded-Proto` and `X-Forwarded-Host`. Default true. */
  readonly xForwarded?: boolean;
  /**
   * Append an RFC 7239 `Forwarded` element (`for=…;proto=…;host=…[;by=…]`). `by` is a static
   * label (Linkerd's `static` labeler); omit it to leave `by` out. Default off.
   */
  readonly rfc7239?: boolean | { readonly by?: string };
}

/**
 * Adds `Via`, `X-Forwarded-*` and optionally `Forwarded` to outbound request headers, in place.
 * `X-Forwarded-For` is appended to (a chain of proxies); `-Proto` and `-Host` describe this hop's
 * client connection and overwrite what the client sent.
 */
export function addForwardingHeaders(
  headers: HeaderMap,
  info: ForwardingInfo,
  options: ForwardedHeaderOptions,
): void {
  headers.via = appendList(headers.via, VIA);
  const proto = info.secure ? 'https' : 'http';
  if (options.xForwarded !== false) {
    headers['x-forwarded-for'] = appendList(headers['x-forwarded-for'], info.remoteAddress);
    headers['x-forwarded-proto'] = proto;
    if (info.host !== undefined) headers['x-forwarded-host'] = info.host;
  }
  const rfc = options.rfc7239;
  if (rfc !== undefined && rfc !== false)
    headers.forwarded = appendList(headers.forwarded, forwardedElement(info, proto, rfc));
}

/** This hop's RFC 7239 `Forwarded` element: `for=…;proto=…[;host=…][;by=…]`. */
export function forwardedElement(
  info: ForwardingInfo,
  proto: string,
  rfc: true | { readonly by?: string },
): string {
  let element = `for=${forwardedNode(info.remoteAddress)};proto=${proto}`;
  if (info.host !== undefined) element += `;host=${quoteIfNeeded(info.host)}`;
  if (typeof rfc === 'object' && rfc.by !== undefined) element += `;by=${quoteIfNeeded(rfc.by)}`;
  return element;
}

/** RFC 7239 §6: IPv6 nodes are bracketed and quoted. */
function forwardedNode(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  return address.includes(':') ? `"[${address}]"` : address;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function quoteIfNeeded(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Result of rewriting an absolute-form request target. */
export interface RewrittenTarget {
  /** Origin-form target: path, query and fragment (`/` when the URI had no path). */
  readonly url: string;
  /** The URI's authority, which becomes the `Host` header. */
  readonly host: string;
}

/**
 * Linkerd's ProxyRewriteFilter: `GET http://h/p?q` becomes `GET /p?q` with `Host: h`. Returns
 * `undefined` for targets already in origin form (or `*`) or that do not parse as http(s) URIs.
 */
export function rewriteAbsoluteForm(target: string): RewrittenTarget | undefined {
  if (target.charCodeAt(0) === 47 /* / */ || target === '*') return undefined;
  const match = /^https?:\/\/([^/?#]*)(.*)$/i.exec(target);
  if (match === null) return undefined;
  const authority = match[1]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host === '') return undefined;
  const rest = match[2]!;
  const url = rest === '' ? '/' : rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
  return { url, host };
}
