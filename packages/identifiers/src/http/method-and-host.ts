/**
 * `io.l5d.methodAndHost`: names a request by HTTP version, method and (for HTTP/1.1) the
 * lower-cased host, optionally followed by the path. Source: linkerd
 * `router/http/MethodAndHostIdentifier.scala` and `docs/protocol-http.md`.
 */
import type { Identification, Identifier, RequestHead } from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { DstPrefixOption } from './common.js';
import { dstPrefixOf } from './common.js';
import { byteLabel, headerValue, messageOf, splitTarget } from './request.js';

/** The Linkerd kind of {@link createMethodAndHostIdentifier}. */
export const METHOD_AND_HOST_KIND = 'io.l5d.methodAndHost';

/** Options of `io.l5d.methodAndHost`. */
export interface MethodAndHostIdentifierOptions extends DstPrefixOption {
  /**
   * Append the request path (read as a Path, query excluded) to the name. Default false.
   * Linkerd warns this is slow for routing (every distinct URL is a distinct name).
   */
  readonly httpUriInDst?: boolean;
}

/**
 * Builds `io.l5d.methodAndHost`:
 * - HTTP/1.1: `/svc/1.1/<METHOD>/<host lower-cased>[/<path…>]`; no or empty `Host` gives
 *   `unidentified("HTTP/1.1 request missing hostname")`.
 * - HTTP/1.0: `/svc/1.0/<METHOD>[/<path…>]` (the host is not used).
 * - Any other version: `unidentified("Unknown HTTP version HTTP/<v>")`.
 *
 * With `httpUriInDst`, a path that is not a valid Path (`/a//b`, `/a/`) gives
 * `unidentified(<the Path.read error message>)`, where Linkerd failed with that message.
 */
export function createMethodAndHostIdentifier(
  options: MethodAndHostIdentifierOptions = {},
): Identifier<RequestHead> {
  const uris = options.httpUriInDst ?? false;
  const prefix = dstPrefixOf(METHOD_AND_HOST_KIND, options);
  const missingHost = Promise.resolve(unidentified<RequestHead>('HTTP/1.1 request missing hostname'));

  return (req) => {
    let name: string[];
    if (req.httpVersion === '1.1') {
      const host = headerValue(req, 'host');
      if (host === undefined || host === '') return missingHost;
      name = [...prefix, '1.1', byteLabel(req.method), byteLabel(host.toLowerCase())];
    } else if (req.httpVersion === '1.0') {
      name = [...prefix, '1.0', byteLabel(req.method)];
    } else {
      return Promise.resolve(unidentified<RequestHead>(`Unknown HTTP version HTTP/${req.httpVersion}`));
    }
    if (uris) {
      try {
        for (const label of Path.read(splitTarget(req.url).path)) name.push(label);
      } catch (err) {
        return Promise.resolve(unidentified<RequestHead>(messageOf(err)));
      }
    }
    return Promise.resolve<Identification<RequestHead>>(identified(name, req));
  };
}
