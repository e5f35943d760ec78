/**
 * `io.l5d.path`: the first `segments` segments of the request path name the request;
 * with `consume` they are also removed from the URL forwarded to the service.
 * Source: linkerd `router/http/PathIdentifier.scala`.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf } from './common.js';
import { IdentifierConfigError } from './errors.js';
import { byteLabel, javaSplitSlash, splitTarget } from './request.js';

/** The Linkerd kind of {@link createPathIdentifier}. */
export const PATH_KIND = 'io.l5d.path';

/** Options of `io.l5d.path`. */
export interface PathIdentifierOptions extends DstPrefixOption {
  /** How many leading path segments form the name. Default 1. */
  readonly segments?: number;
  /** Strip those segments from the forwarded URL. Default false. */
  readonly consume?: boolean;
}

/**
 * Builds `io.l5d.path`. With `segments: 2, consume: true`, `GET /true/love/waits.php?x=1` is
 * named `/svc/true/love` and forwarded as `/waits.php?x=1` (Linkerd's documented example).
 *
 * Segments are taken verbatim (percent-encoding is kept) and split as Java's `split("/")`
 * does: empty segments inside the path count, trailing slashes do not. A path with fewer
 * segments gives `unidentified("not enough segments in path")`.
 *
 * `consume` keeps the query and a trailing slash (`/a/b/` → `/b/`), and gives `/` when
 * nothing is left. Linkerd's string surgery on the whole URI put the slash after the query
 * (`/a/b/?q` → `/b/?q/`) and dropped the query when nothing else was left (`/a?q` → `/`); here
 * the path and the query are handled separately, so both keep their meaning. Absolute-form
 * targets keep their `scheme://authority`.
 */
export function createPathIdentifier(options: PathIdentifierOptions = {}): Identifier<RequestHead> {
  const segments = options.segments ?? 1;
  if (!Number.isSafeInteger(segments) || segments < 0) {
    throw new IdentifierConfigError(PATH_KIND, 'segments', `must be a non-negative integer, got ${segments}`);
  }
  const consume = options.consume ?? false;
  const prefix = dstPrefixOf(PATH_KIND, options);
  const tooFew = Promise.resolve(unidentified<RequestHead>('not enough segments in path'));

  return (req) => {
    const target = splitTarget(req.url);
    const parts = javaSplitSlash(target.path);
    // parts[0] is what precedes the first '/', i.e. '' for a well-formed path.
    if (parts.length - 1 < segments) return tooFew;
    const name = prefix.slice();
    for (let i = 1; i <= segments; i++) name.push(byteLabel(parts[i]!));
    if (!consume) return Promise.resolve<Identification<RequestHead>>(identified(name, req));

    const rest = parts.slice(segments + 1);
    const path = rest.length === 0 ? '/' : `/${rest.join('/')}${target.path.endsWith('/') ? '/' : ''}`;
    const url = `${target.origin}${path}${target.query}`;
    return Promise.resolve<Identification<RequestHead>>(identified(name, { ...req, url }));
  };
}
