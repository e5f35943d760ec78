/** Server stats: the outermost layer of the server stack, so it sees every outcome. */
import { Http2ServerResponse } from 'node:http2';
import type { RouterRuntime } from '../runtime.js';
import { EXCHANGE_STATE, type Exchange, type ServerLayer } from '../stages.js';

/** `rt/<label>/server/<ip>/<port>` counters and latency; outermost, so it sees every outcome. */
export function serverStatsLayer(rt: RouterRuntime): ServerLayer {
  return {
    kind: 'server',
    role: 'server-stats',
    description: 'counts requests, success/failures, status classes and latency per server',
    layer: (next) => async (request) => {
      const exchange = request.exchange;
      const state = exchange[EXCHANGE_STATE];
      const server = state.server;
      server.inflight++;
      server.open.add(exchange.res);
      server.stats.requests.incr();
      (exchange.protocol === 'h2' ? server.stats.h2Requests : server.stats.http1Requests).incr();
      try {
        await next(request);
      } finally {
        server.inflight--;
        server.open.delete(exchange.res);
        const status = exchange.res.statusCode;
        const failed = status >= 500 || !responseCompleted(exchange);
        (failed ? server.stats.failures : server.stats.success).incr();
        server.stats.statusClass[Math.floor(status / 100)]?.incr();
        const end = state.endNs === 0n ? rt.clock.nanoTime() : state.endNs;
        server.stats.latency.add(Number(end - exchange.startNs) / 1e6);
      }
    },
  };
}

/**
 * Whether the client got the whole response, judged the same way on every transport: the
 * response was ended (handed to the socket in full) rather than cut (tunnels: by status). Not `writableFinished`: on TLS sockets the flush completes after the handler returns.
 */
function responseCompleted(exchange: Exchange): boolean {
  const res = exchange.res;
  // A tunnel's 101 is written on the raw socket, not through `res`: judged by status alone.
  if (res.writableEnded || exchange.upgrade !== undefined) return true;
  // A trailers-only HTTP/2 answer (the router's gRPC errors, a backend's trailers-only response)
  // is written on the stream with END_STREAM, past the compatibility response: ended all the same.
  return (
    res instanceof Http2ServerResponse &&
    res.stream.headersSent &&
    res.stream.writableEnded &&
    !res.stream.aborted
  );
}
