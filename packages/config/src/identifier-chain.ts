/**
 * How a router's list of identifiers is composed. Linkerd 1 tries them in order and the first
 * `identified` wins; with `io.l5d.httproute` before `io.l5d.ingress` (the gateway mode of the
 * reference binary) that alone would hand a request a Gateway route *matched* but cannot serve
 * (every backend invalid: 500, as the Gateway API conformance suite expects) on to the Ingress
 * identifier, which may then serve it from an Ingress rule for the same host. A 500 is a
 * decision, not "not mine", so it ends the search; any other `unidentified` (404 no route, 503
 * routes not loaded yet, 400 no Ingress rule) falls through.
 */
import type { Identification, Identifier } from '@switchyard/core';

/** The `unidentified` status that ends the search: a matched route that cannot be served. */
export const CLAIMED_FAILURE_STATUS = 500;

/**
 * Composes identifiers: the first `identified` wins, an `unidentified` with status 500 is
 * answered as it is, and when none identifies the request the last identifier's answer is used.
 */
export function chainIdentifiers<Req>(identifiers: readonly Identifier<Req>[]): Identifier<Req> {
  if (identifiers.length === 0) throw new TypeError('chainIdentifiers needs at least one identifier');
  if (identifiers.length === 1) return identifiers[0]!;
  return async (request) => {
    let last: Identification<Req> | undefined;
    for (const identify of identifiers) {
      last = await identify(request);
      if (last.kind === 'identified' || last.status === CLAIMED_FAILURE_STATUS) return last;
    }
    return last!;
  };
}
