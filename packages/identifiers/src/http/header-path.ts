/**
 * `io.l5d.header.path`: the request path (HTTP/2's `:path`, or another header holding a path) read
 * as a dtab Path, optionally cut to its first `segments` segments, and appended to `dstPrefix`.
 * gRPC encodes a call as `/package.Service/Method`, so `segments: 1` routes by service name and
 * `segments: 2` by method. Source: linkerd `protocol/h2/HeaderPathIdentifier.scala` (Linkerd 1's
 * h2 router; its config id `io.l5d.header.path`).
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf, headerNameOf } from './common.js';
import { IdentifierConfigError } from './errors.js';
import { messageOf, splitTarget } from './request.js';

/** The Linkerd kind of {@link createHeaderPathIdentifier}. */
export const HEADER_PATH_KIND = 'io.l5d.header.path';

/** Options of `io.l5d.header.path`. */
export interface HeaderPathIdentifierOptions extends DstPrefixOption {
  /**
   * Where the path is read. Default `:path`, the request target (on HTTP/1.1 and HTTP/2 alike: an
   * HTTP/2 request's `:path` is its target once mapped). Any other name reads that header's last
   * value, as Linkerd does.
   */
  readonly header?: string;
  /** Use only the first `segments` segments (at least 1). Default: the whole path. */
  readonly segments?: number;
}

/**
 * Builds `io.l5d.header.path`. `POST /helloworld.Greeter/SayHello` is `/svc/helloworld.Greeter`
 * with `segments: 1`, `/svc/helloworld.Greeter/SayHello` without. The query and one trailing slash
 * are ignored. A path with fewer segments gives `unidentified("Path must have at least N
 * segment(s)")`, an empty one `unidentified("Missing destination path")`, and a value that is not
 * a dtab Path (`/a//b`) the Path parse error (Linkerd failed such requests with that error).
 * Throws `IdentifierConfigError` for `segments` < 1 or a bad header name.
 */
export function createHeaderPathIdentifier(
  options: HeaderPathIdentifierOptions = {},
): Identifier<RequestHead> {
  const segments = options.segments;
  if (segments !== undefined && (!Number.isSafeInteger(segments) || segments < 1)) {
    throw new IdentifierConfigError(
      HEADER_PATH_KIND,
      'segments',
      `must be an integer of at least 1, got ${segments}`,
    );
  }
  const header = options.header ?? ':path';
  const lower = header === ':path' ? ':path' : headerNameOf(HEADER_PATH_KIND, header);
  const prefix = dstPrefixOf(HEADER_PATH_KIND, options);
  const missing = Promise.resolve(unidentified<RequestHead>('Missing destination path'));
  const tooShort = Promise.resolve(
    unidentified<RequestHead>(`Path must have at least ${segments ?? 1} segment(s)`),
  );

  const pathText = (req: RequestHead): string | undefined => {
    if (lower === ':path') return splitTarget(req.url).path;
    const v = req.headers[lower];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : v[v.length - 1];
  };

  return (req) => {
    const raw = pathText(req);
    if (raw === undefined) return missing;
    const q = raw.indexOf('?');
    let text = q === -1 ? raw : raw.slice(0, q);
    if (text.endsWith('/')) text = text.slice(0, -1);
    if (text === '') return missing;
    let path: Path;
    try {
      path = Path.read(text);
    } catch (err) {
      return Promise.resolve(unidentified<RequestHead>(messageOf(err)));
    }
    if (path.length === 0) return missing;
    if (segments !== undefined && path.length < segments) return tooShort;
    const name = segments === undefined ? path : path.slice(0, segments);
    return Promise.resolve<Identification<RequestHead>>(identified([...prefix, ...name], req));
  };
}
