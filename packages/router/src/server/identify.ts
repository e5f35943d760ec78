/** Identification: the last layer of the server stack names the request (`dst`). */
import type { RouterContext, RouterLayer } from '../context.js';
import { UnknownDestinationError } from '../errors.js';
import type { HeaderMap } from '../headers.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

export function describeRequest(ctx: RouterContext): string {
  const { head } = ctx;
  const remote = head.remoteAddress.startsWith('::ffff:') ? head.remoteAddress.slice(7) : head.remoteAddress;
  return `Request("${head.method} ${head.url}", from /${remote}:${head.remotePort})`;
}

export function identifyLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'identify',
    description: 'names the request with the identifier (unidentified → 400, or the status it asks for)',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const id = await rt.identify(c.head);
      if (id.kind === 'unidentified')
        throw new UnknownDestinationError(describeRequest(ctx), id.reason, id.status);
      c.dst = id.path;
      c.dstDtab = id.dtab;
      const head = id.request;
      if (head !== c.head) {
        c.method = head.method;
        c.url = head.url;
        if (head.headers !== c.headers) c.headers = { ...(head.headers as HeaderMap) };
        c.refreshHead();
      }
      // `await`, not `return`: resolving an async function with a promise costs two more ticks.
      await next(ctx);
    },
  };
}
