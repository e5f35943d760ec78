/** Admission: rejects at once beyond `maxConcurrentRequests` or while the router drains. */
import type { RouterLayer } from '../context.js';
import { OverloadedError, RouterClosedError } from '../errors.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

export function admissionLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'admission',
    description: 'rejects at once (503) beyond maxConcurrentRequests or while closing',
    layer: (next) => (ctx) => {
      const server = ctxOf(ctx).runtime;
      if (rt.closing) return Promise.reject(new RouterClosedError());
      if (server.inflight > server.maxConcurrentRequests) {
        return Promise.reject(new OverloadedError(server.maxConcurrentRequests));
      }
      return next(ctx);
    },
  };
}
