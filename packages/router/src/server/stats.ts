/** Server stats: the outermost layer of the server stack, so it sees every outcome. */
import type { RouterContext, RouterLayer } from '../context.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

/** `rt/<label>/server/<ip>/<port>` counters and latency; outermost, so it sees every outcome. */
export function serverStatsLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'server-stats',
    description: 'counts requests, success/failures, status classes and latency per server',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const server = c.runtime;
      server.inflight++;
      server.open.add(ctx.res);
      server.stats.requests.incr();
      try {
        await next(ctx);
      } finally {
        server.inflight--;
        server.open.delete(ctx.res);
        const status = ctx.res.statusCode;
        const failed = status >= 500 || !responseCompleted(ctx);
        (failed ? server.stats.failures : server.stats.success).incr();
        server.stats.statusClass[Math.floor(status / 100)]?.incr();
        const end = c.endNs === 0n ? rt.clock.nanoTime() : c.endNs;
        server.stats.latency.add(Number(end - c.startNs) / 1e6);
      }
    },
  };
}

/**
 * Whether the client got the whole response, judged the same way on every transport: the
 * response was ended (handed to the socket in full) rather than cut (tunnels: by status). Not `writableFinished`: on TLS sockets the flush completes after the handler returns.
 */
function responseCompleted(ctx: RouterContext): boolean {
  // A tunnel's 101 is written on the raw socket, not through `res`: judged by status alone.
  return ctx.res.writableEnded || ctx.upgrade !== undefined;
}
