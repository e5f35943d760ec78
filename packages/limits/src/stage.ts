/**
 * What the limit layers read of the router's stage values, as structural types: the router's
 * `Inbound` and `Bound` satisfy them, so these layers plug into `@switchyard/router` stacks
 * (`layers: { server, path }`) without this package importing the router (STYLE.md item 1: only
 * config and the examples import it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Path } from '@switchyard/dtab';

/** The exchange with the client: the streams a limit answers on, and the server it arrived on. */
export interface LimitedExchange {
  /** HTTP/1.1 (`node:http`) or an HTTP/2 stream (`node:http2`'s compatibility API). */
  readonly req: IncomingMessage | Http2ServerRequest;
  readonly res: ServerResponse | Http2ServerResponse;
  /** The listening server as configured (one server bucket each). */
  readonly server: { readonly ip: string; readonly port: number };
}

/** The server-stack value (router `Inbound`): the request as received. */
export interface InboundLike {
  readonly kind: 'inbound';
  readonly exchange: LimitedExchange;
  /** `remoteAddress` is the client's socket address: the per-client key. */
  readonly head: { readonly remoteAddress: string };
}

/** The path-stack value (router `Bound`): the request with its identified name. */
export interface BoundLike {
  readonly kind: 'bound';
  readonly identified: { readonly dst: Path; readonly request: InboundLike };
}

/**
 * A layer of the router's server stack (router `ServerLayer`): generic over the value, so that
 * the router's richer `Inbound` flows through unchanged.
 */
export interface LimitServerLayer {
  readonly kind: 'server';
  readonly role: string;
  readonly description: string;
  readonly layer: <V extends InboundLike>(next: (value: V) => Promise<void>) => (value: V) => Promise<void>;
}

/**
 * What the router tells its layers it dropped (router `RouterEviction`): a service (logical
 * name) or a client (bound name) evicted from its caches, idle or beyond their size.
 */
export type EvictionLike =
  | { readonly kind: 'service'; readonly name: Path }
  | { readonly kind: 'client'; readonly id: string };

/** A layer of the router's path stack (router `PathLayer`): once per request, after bind. */
export interface LimitPathLayer {
  readonly kind: 'path';
  readonly role: string;
  readonly description: string;
  readonly layer: <V extends BoundLike>(next: (value: V) => Promise<void>) => (value: V) => Promise<void>;
  /** Called by the router when it evicts a service or client (router `PathLayer.evicted`). */
  readonly evicted?: (event: EvictionLike) => void;
}
