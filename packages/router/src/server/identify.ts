/**
 * Identification: the last layer of the server stack names the request and hands an
 * `Identified` value to the path stack.
 */
import type { RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { IdentifyEntry } from '../entry.js';
import { UnknownDestinationError } from '../errors.js';
import type { RouterRuntime } from '../runtime.js';
import { EXCHANGE_STATE, type Inbound } from '../stages.js';

/** Linkerd's description of a request in error messages: `Request("GET /p", from /1.2.3.4:5)`. */
export function describeRequest(head: RequestHead): string {
  const remote = head.remoteAddress.startsWith('::ffff:') ? head.remoteAddress.slice(7) : head.remoteAddress;
  return `Request("${head.method} ${head.url}", from /${remote}:${head.remotePort})`;
}

export function identifyLayer(rt: RouterRuntime): IdentifyEntry {
  return {
    kind: 'identify',
    role: 'identify',
    description: 'names the request with the identifier (unidentified → 400, or the status it asks for)',
    layer: (next) => async (request) => {
      const id = await rt.identify(request.head);
      if (id.kind === 'unidentified')
        throw new UnknownDestinationError(describeRequest(request.head), id.reason, id.status);
      request.exchange[EXCHANGE_STATE].record.dst = id.path;
      // The identifier may rewrite the head (e.g. consume path segments): hand that one on.
      const named: Inbound = id.request === request.head ? request : { ...request, head: id.request };
      // `await`, not `return`: resolving an async function with a promise costs two more ticks.
      await next({
        kind: 'identified',
        request: named,
        dst: id.path,
        dtab: id.dtab ?? Dtab.empty,
        actions: id.actions,
      });
    },
  };
}
