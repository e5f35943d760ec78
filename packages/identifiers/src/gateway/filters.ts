/**
 * HTTPRoute filters as pure functions over a request head: `RequestHeaderModifier` and
 * `URLRewrite` rewrite the request the identifier returns (the router forwards the rewritten
 * request, as it does for `io.l5d.path`'s `consume`); `RequestRedirect` and
 * `ResponseHeaderModifier` need the response, and are applied by ./filters-layer.ts.
 * `RequestMirror` becomes data on the identification (./actions.ts); `ExtensionRef` and others
 * are ignored. GRPCRoute rules have the header filters and `RequestMirror` only (the same
 * functions apply them).
 */
import type { RequestHead } from '@switchyard/core';
import { splitTarget } from '../http/request.js';
import type { MatchRecord } from './model.js';

type Json = Readonly<Record<string, unknown>>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function pairs(x: unknown): { name: string; value: string }[] {
  return Array.isArray(x)
    ? x
        .filter(isObject)
        .filter((p) => typeof p.name === 'string' && typeof p.value === 'string')
        .map((p) => ({ name: (p.name as string).toLowerCase(), value: p.value as string }))
    : [];
}

type Headers = Record<string, string | readonly string[] | undefined>;

/** Applies a `set`/`add`/`remove` header filter to a copy of `headers` (names lower-case). */
export function modifyHeaders(headers: Readonly<Headers>, filter: unknown): Headers {
  const out: Headers = { ...headers };
  if (!isObject(filter)) return out;
  for (const { name, value } of pairs(filter.set)) out[name] = value;
  for (const { name, value } of pairs(filter.add)) {
    const current = out[name];
    out[name] =
      current === undefined ? value : `${Array.isArray(current) ? current.join(',') : current},${value}`;
  }
  if (Array.isArray(filter.remove)) {
    for (const name of filter.remove) if (typeof name === 'string') delete out[name.toLowerCase()];
  }
  return out;
}

/**
 * The path after a `ReplaceFullPath` or `ReplacePrefixMatch` modifier. `ReplacePrefixMatch`
 * replaces the matched PathPrefix element-wise (`/foo` → `/bar`: `/foo/x` → `/bar/x`; → `/`:
 * `/foo/x` → `/x`, `/foo` → `/`).
 */
export function modifyPath(path: string, modifier: unknown, match: MatchRecord): string {
  if (!isObject(modifier)) return path;
  if (modifier.type === 'ReplaceFullPath' && typeof modifier.replaceFullPath === 'string')
    return modifier.replaceFullPath;
  if (
    modifier.type === 'ReplacePrefixMatch' &&
    typeof modifier.replacePrefixMatch === 'string' &&
    match.path.type === 'PathPrefix'
  ) {
    const prefix = match.path.value === '/' ? '' : match.path.value;
    const rest = path.slice(prefix.length);
    const replaced =
      modifier.replacePrefixMatch.replace(/\/+$/, '') +
      (rest.startsWith('/') || rest === '' ? rest : `/${rest}`);
    return replaced === '' ? '/' : replaced;
  }
  return path;
}

/** The request a GRPCRoute rule forwards: its `RequestHeaderModifier`s applied, or `req` itself if none. */
export function applyRequestHeaderFilters(req: RequestHead, filters: readonly Json[]): RequestHead {
  let out = req;
  for (const f of filters)
    if (f.type === 'RequestHeaderModifier')
      out = { ...out, headers: modifyHeaders(out.headers, f.requestHeaderModifier) };
  return out;
}

/** The request the route forwards: header and URL rewrites applied, or `req` itself if none. */
export function applyRequestFilters(
  req: RequestHead,
  filters: readonly Json[],
  match: MatchRecord,
): RequestHead {
  let out = req;
  for (const f of filters) {
    if (f.type === 'RequestHeaderModifier') {
      out = { ...out, headers: modifyHeaders(out.headers, f.requestHeaderModifier) };
    } else if (f.type === 'URLRewrite' && isObject(f.urlRewrite)) {
      const rewrite = f.urlRewrite;
      if (typeof rewrite.hostname === 'string' && rewrite.hostname !== '') {
        out = { ...out, headers: { ...out.headers, host: rewrite.hostname } };
      }
      if (rewrite.path !== undefined) {
        const target = splitTarget(out.url);
        out = { ...out, url: `${modifyPath(target.path, rewrite.path, match)}${target.query}` };
      }
    }
  }
  return out;
}

/** A redirect answer: status and `Location`. */
export interface Redirect {
  readonly status: number;
  readonly location: string;
}

const WELL_KNOWN: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** The redirect of the first `RequestRedirect` filter, if any. */
export function redirectOf(
  req: RequestHead,
  filters: readonly Json[],
  match: MatchRecord,
): Redirect | undefined {
  const f = filters.find((x) => x.type === 'RequestRedirect');
  if (f === undefined || !isObject(f.requestRedirect)) return undefined;
  const r = f.requestRedirect;
  const hostHeader = typeof req.headers.host === 'string' ? req.headers.host : '';
  const bracket = hostHeader.startsWith('[') ? hostHeader.indexOf(']') + 1 : 0;
  const colon = hostHeader.indexOf(':', bracket);
  const requestHost = colon < 0 ? hostHeader : hostHeader.slice(0, colon);
  const requestPort = colon < 0 ? undefined : Number(hostHeader.slice(colon + 1));
  const scheme = typeof r.scheme === 'string' ? r.scheme : req.secure ? 'https' : 'http';
  const host = typeof r.hostname === 'string' && r.hostname !== '' ? r.hostname : requestHost;
  let port: number | undefined;
  if (typeof r.port === 'number') port = r.port;
  else if (typeof r.scheme !== 'string') port = requestPort;
  if (port !== undefined && WELL_KNOWN[scheme] === port) port = undefined;
  const target = splitTarget(req.url);
  const query = target.query;
  const path = r.path === undefined ? target.path : modifyPath(target.path, r.path, match);
  const status = typeof r.statusCode === 'number' ? r.statusCode : 302;
  return { status, location: `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}${query}` };
}

/** The `ResponseHeaderModifier` filters of a rule, in order. */
export function responseHeaderFilters(filters: readonly Json[]): unknown[] {
  return filters.filter((f) => f.type === 'ResponseHeaderModifier').map((f) => f.responseHeaderModifier);
}
