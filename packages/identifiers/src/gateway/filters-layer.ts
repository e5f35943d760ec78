/**
 * The response side of HTTPRoute and GRPCRoute filters, as a router layer: `RequestRedirect`
 * (HTTPRoute only) answers the redirect itself (the request goes nowhere),
 * `ResponseHeaderModifier` edits the response headers. It must run before the router's
 * `identify` layer (it matches the request as received, like the identifier, which applies the
 * request-side filters), and picks the rule exactly as the identifier does: a gRPC call's
 * GRPCRoute rule when one matches, else the HTTPRoute rule. Typed structurally so the
 * identifiers package does not depend on the router: over the router's `Inbound` it is a
 * `ServerLayer`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { RequestHead } from '@switchyard/core';
import { modifyHeaders, redirectOf, responseHeaderFilters } from './filters.js';
import type { HttpRouteIdentifier } from './identifier-api.js';

/** What the layer reads of the router's server-stack value (its `Inbound`). */
export interface FiltersLayerInbound {
  readonly kind: 'inbound';
  /** The request as received (the identifier matches this head). */
  readonly head: RequestHead;
  readonly exchange: {
    /** HTTP/1.1 or HTTP/2 (`node:http2`'s compatibility response, which has the same header methods). */
    readonly res: ServerResponse | Http2ServerResponse;
  };
}

/** A server-stack layer over values of type `I` (the router's `ServerLayer` when `I` is `Inbound`). */
export interface FiltersLayer<I extends FiltersLayerInbound> {
  readonly kind: 'server';
  readonly role: 'httproute-filters';
  readonly description: string;
  readonly layer: (next: (value: I) => Promise<void>) => (value: I) => Promise<void>;
}

/** Applies `mods` (header filters) to the response headers when they are written. */
function modifyResponse(res: ServerResponse | Http2ServerResponse, mods: readonly unknown[]): void {
  const writeHead = res.writeHead.bind(res) as (status: number, message?: string) => unknown;
  const wrapped = (status: number, ...rest: unknown[]): unknown => {
    const message = typeof rest[0] === 'string' ? rest[0] : undefined;
    const given = rest.find((r) => typeof r === 'object' && r !== null) as
      | OutgoingHttpHeaders
      | readonly string[]
      | undefined;
    if (Array.isArray(given)) {
      for (let i = 0; i + 1 < given.length; i += 2) {
        const had = res.getHeader(given[i]!);
        res.setHeader(
          given[i]!,
          had === undefined ? given[i + 1]! : [...[had].flat().map(String), given[i + 1]!],
        );
      }
    } else if (given !== undefined) {
      for (const [k, v] of Object.entries(given)) if (v !== undefined) res.setHeader(k, v);
    }
    const current: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.getHeaders())) {
      if (v !== undefined) current[k] = Array.isArray(v) ? v.join(',') : String(v);
    }
    let next: Record<string, string | readonly string[] | undefined> = current;
    for (const m of mods) next = modifyHeaders(next, m);
    for (const k of Object.keys(current)) if (!(k in next)) res.removeHeader(k);
    for (const [k, v] of Object.entries(next)) if (v !== undefined && v !== current[k]) res.setHeader(k, v);
    return message === undefined ? writeHead(status) : writeHead(status, message);
  };
  (res as { writeHead: unknown }).writeHead = wrapped;
}

/**
 * The layer applying `identifier`'s response-side filters, for the router's server stack, where
 * it stands before `identify`: `layers: { server: [httpRouteFiltersLayer<Inbound>(identifier)] }`.
 */
export function httpRouteFiltersLayer<I extends FiltersLayerInbound>(
  identifier: HttpRouteIdentifier,
): FiltersLayer<I> {
  return {
    kind: 'server',
    role: 'httproute-filters',
    description:
      'HTTPRoute RequestRedirect (answered here) and HTTPRoute/GRPCRoute ResponseHeaderModifier filters',
    layer: (next) => async (value) => {
      // Most routes have no response-side filter: then this layer costs one property read.
      if (!identifier.hasResponseFilters) return next(value);
      const head = value.head;
      const grpc = identifier.matchGrpc(head);
      const http = grpc === undefined ? identifier.match(head) : undefined;
      const filters = (grpc ?? http)?.rule.filters;
      if (filters === undefined || filters.length === 0) return next(value);
      const redirect = http === undefined ? undefined : redirectOf(head, filters, http.match);
      const res = value.exchange.res;
      if (redirect !== undefined) {
        res.writeHead(redirect.status, { location: redirect.location, 'content-length': 0 });
        res.end();
        return;
      }
      const mods = responseHeaderFilters(filters);
      if (mods.length > 0) modifyResponse(res, mods);
      await next(value);
    },
  };
}
