/**
 * The one exit that writes error responses: `rescue` (an exhaustive switch over the error codes)
 * picks status and body, this writes them, or cuts the connection when the response already
 * started. The rescue layer and the upgrade path both end here.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import { diagnostics } from '../channels.js';
import { ClientGoneError } from '../errors.js';
import { grpcErrorResponse, isGrpcRequest } from '../h2/grpc-status.js';
import { VIA } from '../headers.js';
import { encodeErrHeader, rescue } from '../rescue.js';
import type { RouterRuntime } from '../runtime.js';
import { type Exchange, responseDestroyed, type ServerLayer } from '../stages.js';

/** Writes an error response, or destroys the connection if the response already started. */
export function respondError(rt: RouterRuntime, exchange: Exchange, err: unknown): void {
  const { res } = exchange;
  const clearContext = exchange.server.clearContext;
  const rescued = rescue(err, { clearContext });
  if (diagnostics.error.hasSubscribers) {
    diagnostics.error.publish({
      router: rt.label,
      server: exchange.server,
      status: rescued.status,
      code: rescued.code,
      error: err,
    });
  }
  if (err instanceof ClientGoneError) {
    if (!responseDestroyed(res)) res.destroy();
    return;
  }
  if (res.headersSent || responseDestroyed(res)) {
    if (!res.writableEnded && !responseDestroyed(res)) res.destroy();
    return;
  }
  if (res instanceof Http2ServerResponse) {
    if (isGrpcRequest(exchange.req.headers['content-type'])) {
      respondGrpc(
        res,
        err,
        clearContext,
        clearContext ? undefined : encodeErrHeader(rescued.body, rt.maxErrBytes),
      );
      return;
    }
  }
  let body = rescued.body;
  if (Buffer.byteLength(body) > rt.maxErrBytes - 1)
    body = Buffer.from(body)
      .subarray(0, rt.maxErrBytes - 1)
      .toString();
  // text/plain ends with a newline (curl and terminals print the next prompt on its own line).
  body += '\n';
  const headers: OutgoingHttpHeaders = {
    ...rescued.headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    via: VIA,
  };
  if (!clearContext) headers['l5d-err'] = encodeErrHeader(rescued.body, rt.maxErrBytes);
  // An unread request body would otherwise be drained to keep the connection; close instead.
  // (HTTP/1.1 only: HTTP/2 forbids the field; its stream ends on its own.)
  if (
    exchange.protocol === 'http/1.1' &&
    (rt.closing || rescued.close === true || !exchange.req.complete || exchange.upgrade !== undefined)
  )
    headers.connection = 'close';
  try {
    res.writeHead(rescued.status, headers);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * A gRPC request's error as a trailers-only response (HTTP 200, `grpc-status`, `grpc-message` in
 * the one HEADERS frame, END_STREAM), as gRPC clients expect; the message hides dtabs and
 * addresses under `clearContext` exactly as the text/plain body would, and `l5d-err` is set
 * only without it (as on every router-written error).
 */
function respondGrpc(
  res: Http2ServerResponse,
  err: unknown,
  clearContext: boolean,
  l5dErr: string | undefined,
): void {
  const answer = grpcErrorResponse(err, { clearContext });
  try {
    const headers =
      l5dErr === undefined
        ? { ...answer.headers, via: VIA }
        : { ...answer.headers, via: VIA, 'l5d-err': l5dErr };
    res.stream.respond(headers, { endStream: true });
  } catch {
    res.destroy();
  }
}

/** One `rescue` at the edge: every error becomes a text/plain response (or a closed connection). */
export function rescueLayer(rt: RouterRuntime): ServerLayer {
  return {
    kind: 'server',
    role: 'rescue',
    description: 'maps errors to status + text/plain body (l5d-err only without clearContext)',
    layer: (next) => async (request) => {
      try {
        await next(request);
      } catch (err) {
        respondError(rt, request.exchange, err);
      }
    },
  };
}
