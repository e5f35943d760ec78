/**
 * The server stack's first value, from a request as Node parsed it: HTTP/1.1 (`node:http`) or an
 * HTTP/2 stream (`node:http2`'s compatibility API). On HTTP/2 the pseudo-headers are mapped to an
 * HTTP/1.1 head (`h2/message-map.ts`): `:authority` becomes `Host` (what identifiers and header
 * rules read), `:path` the target, connection-specific fields are refused, cookie crumbs joined.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Dtab } from '@switchyard/dtab';
import { BadRequestError } from '../errors.js';
import { h2RequestToH1 } from '../h2/message-map.js';
import { emptyRecord } from '../record.js';
import { fieldsView, nameIs } from '../request-head.js';
import { requestIdOf } from '../request-id.js';
import type { ServerRuntime } from '../runtime.js';
import { EXCHANGE_STATE, type Exchange, type Inbound, type UpgradeSocket } from '../stages.js';

const NO_LOCAL_DTAB = Object.freeze({ dtab: Dtab.empty, text: '' });

/** `Exchange.adoptTraceId`, shared by every exchange (no closure per request). */
function adoptTraceId(this: Exchange, traceId: string): void {
  const state = this[EXCHANGE_STATE];
  // The id a trusted client sent stays (requestIdOf kept it: it is that header's value).
  if (state.clientRequestId) return;
  state.record.requestId = traceId;
}

function exchangeOf(
  protocol: Exchange['protocol'],
  router: string,
  runtime: ServerRuntime,
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
  upgrade: UpgradeSocket | undefined,
  startNs: bigint,
  sentRequestId: string | string[] | undefined,
): Exchange {
  const trusted = !runtime.context.clearContext;
  const record = emptyRecord(requestIdOf(sentRequestId, trusted));
  const clientRequestId = trusted && sentRequestId === record.requestId;
  return {
    protocol,
    router,
    server: runtime.context,
    req,
    res,
    upgrade,
    startNs,
    record,
    locals: {},
    adoptTraceId,
    [EXCHANGE_STATE]: { record, server: runtime, endNs: 0n, clientRequestId },
  };
}

/** The inbound value of an HTTP/1.1 request. */
export function inboundH1(
  router: string,
  runtime: ServerRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  upgrade: UpgradeSocket | undefined,
  startNs: bigint,
): Inbound {
  // node's rawHeaders as they are: the head's `headers` is a lazy view of them (request-head.ts),
  // so node's own header object is never built unless someone reads `req.headers`.
  const fields = req.rawHeaders;
  let host: string | undefined;
  let cl: string | undefined;
  let chunked = false;
  let sentRequestId: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    // node's rules: the first Host and Content-Length count; repeated l5d-reqid fields are joined.
    if (nameIs(name, 'host')) host ??= fields[i + 1]!;
    else if (nameIs(name, 'content-length')) cl ??= fields[i + 1]!;
    else if (nameIs(name, 'transfer-encoding')) chunked = true;
    else if (nameIs(name, 'l5d-reqid'))
      sentRequestId = sentRequestId === undefined ? fields[i + 1]! : `${sentRequestId}, ${fields[i + 1]}`;
  }
  const exchange = exchangeOf('http/1.1', router, runtime, req, res, upgrade, startNs, sentRequestId);
  const socket = req.socket;
  return {
    kind: 'inbound',
    exchange,
    head: {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      headers: fieldsView(fields),
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      // From the listener when it fixes them (see ServerRuntime.localAddress).
      localAddress: runtime.localAddress ?? socket.localAddress ?? '',
      localPort: runtime.localPort || (socket.localPort ?? 0),
      secure: (socket as TLSSocket).encrypted === true,
    },
    clientHost: host,
    local: NO_LOCAL_DTAB,
    bodyLength: chunked ? -1 : cl === undefined ? 0 : Number.parseInt(cl, 10) || 0,
  };
}

/**
 * The inbound value of an HTTP/2 request, or the exchange and the `BadRequestError` naming the
 * malformed field (RFC 9113 §8.1.1) for the error exit to answer.
 */
export function inboundH2(
  router: string,
  runtime: ServerRuntime,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  startNs: bigint,
): Inbound | { readonly kind: 'malformed'; readonly exchange: Exchange; readonly error: BadRequestError } {
  const exchange = exchangeOf('h2', router, runtime, req, res, undefined, startNs, req.headers['l5d-reqid']);
  const read = h2RequestToH1(req.headers);
  if (read.kind === 'malformed') {
    return { kind: 'malformed', exchange, error: new BadRequestError(read.field, read.reason) };
  }
  const { method, url, headers } = read.head;
  const host = headers.host;
  const cl = headers['content-length'];
  const stream = req.stream;
  const session = stream.session;
  const socket = session?.socket;
  return {
    kind: 'inbound',
    exchange,
    head: {
      method,
      url,
      httpVersion: '2.0',
      headers,
      remoteAddress: socket?.remoteAddress ?? '',
      remotePort: socket?.remotePort ?? 0,
      localAddress: socket?.localAddress ?? '',
      localPort: socket?.localPort ?? 0,
      secure: session?.encrypted === true,
    },
    clientHost: typeof host === 'string' ? host : undefined,
    local: NO_LOCAL_DTAB,
    // HTTP/2 frames bodies itself: no Content-Length means "until END_STREAM", like chunked.
    bodyLength: stream.endAfterHeaders ? 0 : typeof cl === 'string' ? Number.parseInt(cl, 10) || 0 : -1,
  };
}
