/** Request-line and head policy (RFC 9112) applied before anything is forwarded. */
import { BadRequestError, HttpVersionNotSupportedError, MethodNotAllowedError } from '../errors.js';
import { rewriteAbsoluteForm, VIA } from '../headers.js';
import type { Exchange, ServerLayer } from '../stages.js';

/** Methods the router forwards, for `Allow` (CONNECT is not proxied). */
const ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH';

/** Number of `Host` fields in the head as received (node joins or drops repeats in `headers`). */
function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

/**
 * RFC 9112 checks a proxy makes before it forwards anything, as nginx does: the HTTP major
 * version (§2.3, 505), one `Host` (§3.2, 400), the request-target form (§3.2: origin-form,
 * absolute-form, or asterisk-form for OPTIONS, which the router answers itself), and no CONNECT
 * (405: this is not a forward proxy). Requests failing them never pick an endpoint.
 */
export function requestLineLayer(): ServerLayer {
  return {
    kind: 'server',
    role: 'request-line',
    description: `HTTP/1.x or HTTP/2 only (505), one Host (400), origin/absolute-form targets (400); answers OPTIONS * (200), CONNECT → 405`,
    layer: (next) => (request) => {
      const req = request.exchange.req;
      if (req.httpVersionMajor !== 1 && request.exchange.protocol !== 'h2')
        return Promise.reject(new HttpVersionNotSupportedError(req.httpVersion));
      if (req.method === 'CONNECT') return Promise.reject(new MethodNotAllowedError('CONNECT', ALLOW));
      if (hostCount(req.rawHeaders) > 1) {
        return Promise.reject(
          new BadRequestError('Host header', 'more than one Host field (RFC 9112 section 3.2)'),
        );
      }
      const url = req.url ?? '';
      if (url.charCodeAt(0) !== 47 /* / */) {
        if (url === '*') {
          if (req.method !== 'OPTIONS') {
            return Promise.reject(
              new BadRequestError(
                'request target',
                `asterisk-form (*) is only valid with OPTIONS, not ${req.method}`,
              ),
            );
          }
          return answerServerOptions(request.exchange);
        }
        if (rewriteAbsoluteForm(url) === undefined) {
          return Promise.reject(
            new BadRequestError('request target', 'expected origin-form (/path) or an absolute http(s) URI'),
          );
        }
      }
      return next(request);
    },
  };
}

/** `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7): answered here, never forwarded. */
function answerServerOptions(exchange: Exchange): Promise<void> {
  const res = exchange.res;
  // The body, if any, is not read: close rather than drain it.
  const close = exchange.protocol === 'http/1.1' && !exchange.req.complete;
  res.writeHead(200, {
    allow: ALLOW,
    'content-length': 0,
    via: VIA,
    ...(close ? { connection: 'close' } : {}),
  });
  res.end();
  return Promise.resolve();
}
