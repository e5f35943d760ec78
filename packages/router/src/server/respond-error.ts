/**
 * The one exit that writes error responses: `rescue` (an exhaustive switch over the error codes)
 * picks status and body, this writes them, or cuts the connection when the response already
 * started. The rescue layer and the upgrade path both end here.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { diagnostics } from '../channels.js';
import { ClientGoneError } from '../errors.js';
import { VIA } from '../headers.js';
import { encodeErrHeader, rescue } from '../rescue.js';
import type { RouterRuntime } from '../runtime.js';
import type { Exchange, ServerLayer } from '../stages.js';

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
    if (!res.destroyed) res.destroy();
    return;
  }
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded && !res.destroyed) res.destroy();
    return;
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
  if (rt.closing || rescued.close === true || !exchange.req.complete || exchange.upgrade !== undefined)
    headers.connection = 'close';
  try {
    res.writeHead(rescued.status, headers);
    res.end(body);
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
