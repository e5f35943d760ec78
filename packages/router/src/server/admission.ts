/** Admission: rejects at once beyond `maxConcurrentRequests` or while the router drains. */
import { OverloadedError, RouterClosedError } from '../errors.js';
import type { RouterRuntime } from '../runtime.js';
import { EXCHANGE_STATE, type ServerLayer } from '../stages.js';

export function admissionLayer(rt: RouterRuntime): ServerLayer {
  return {
    kind: 'server',
    role: 'admission',
    description: 'rejects at once (503) beyond maxConcurrentRequests or while closing',
    layer: (next) => (request) => {
      const server = request.exchange[EXCHANGE_STATE].server;
      if (rt.closing) return Promise.reject(new RouterClosedError());
      if (server.inflight > server.maxConcurrentRequests) {
        return Promise.reject(new OverloadedError(server.maxConcurrentRequests));
      }
      return next(request);
    },
  };
}
