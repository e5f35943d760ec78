/**
 * The values the router's stacks hand to each other, as linkerd2-proxy's targets: the type
 * changes as the stack learns. The server stack sees the request as received (`Inbound`), its
 * last layer names it (`Identified`), the path stack binds it (`Bound`), and the client stack
 * sends `Bound` attempts. Every value is immutable: a layer that rewrites the request passes a new
 * value on (`withHead`). What does not change for the life of one exchange — the client's
 * streams, where it arrived, the observer record — is the `Exchange` every value carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { assertNever, type NamedLayer, type RequestHead, type RouteActions } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import type { HeldResponse } from './held-response.js';
import type { RecordState, RequestRecord } from './record.js';
import type { ServerRuntime } from './runtime.js';
import type { ServerContext } from './server-context.js';
import type { ServiceEntry } from './service.js';
import type { RouterEviction } from './types/binding.js';
import type { BoundClient } from './types/client.js';

export type { ServerContext } from './server-context.js';

/** The raw-socket side of an `Upgrade` request (WebSocket). */
export interface UpgradeSocket {
  readonly socket: import('node:stream').Duplex;
  /** Bytes the client sent after the request head. */
  readonly head: Buffer;
}

/**
 * Key of the router's own per-exchange state (the writable record, the server's runtime, the end
 * time). Not exported from the package: only the router's layers reach it.
 */
export const EXCHANGE_STATE: unique symbol = Symbol('switchyard.router.exchange');

/** The router's own per-exchange state. */
export interface ExchangeState {
  /** The same object as `Exchange.record`, writable. */
  readonly record: RecordState;
  readonly server: ServerRuntime;
  /** Monotonic end of the request, shared by the service and server latency stats; 0 until known. */
  endNs: bigint;
  /** The request id is the one a trusted client sent (`l5d-reqid`): a trace id does not replace it. */
  readonly clientRequestId: boolean;
}

/** The client's request: HTTP/1.1 (`node:http`) or an HTTP/2 stream (`node:http2`'s compatibility API). */
export type ClientRequest = IncomingMessage | Http2ServerRequest;
/** The response to the client, on the request's protocol. */
export type ClientResponse = ServerResponse | Http2ServerResponse;

/**
 * True when the response can no longer be written (its connection or stream is gone). HTTP/2
 * compatibility responses report it on their stream.
 */
export function responseDestroyed(res: ClientResponse): boolean {
  return res instanceof Http2ServerResponse ? res.stream.destroyed : res.destroyed;
}

/** One request/response exchange with a client: what stays the same while the stacks run. */
export interface Exchange {
  /** The protocol the client speaks on this exchange. */
  readonly protocol: 'http/1.1' | 'h2';
  /** The router's label (Linkerd's `label`, default `http`). */
  readonly router: string;
  readonly server: ServerContext;
  readonly req: ClientRequest;
  /**
   * The response to the client. For upgrade requests this is a response bound to the raw socket,
   * used for non-101 answers and errors.
   */
  readonly res: ClientResponse;
  /** Present for `Upgrade` requests. */
  readonly upgrade: UpgradeSocket | undefined;
  /** Monotonic start of the request, ns. */
  readonly startNs: bigint;
  /** What the stacks learned so far (name, binding, endpoint), for observers: read-only. */
  readonly record: RequestRecord;
  /** Free-form slots for user layers (e.g. an auth layer's principal, a span). */
  readonly locals: Record<string, unknown>;
  /**
   * Makes `traceId` the request's id (`record.requestId`, forwarded in `l5d-reqid`), as Linkerd 1
   * sent the trace id there; a tracing layer calls it before the request is forwarded. A
   * `l5d-reqid` the client sent and the server trusts (clearContext off) is kept.
   */
  adoptTraceId(traceId: string): void;
  readonly [EXCHANGE_STATE]: ExchangeState;
}

/** The per-request dtab from `l5d-ctx-dtab`, `l5d-dtab` and `dtab-local`. */
export interface LocalDtab {
  readonly dtab: Dtab;
  /** As received, `;`-joined: re-emitted downstream as `l5d-ctx-dtab`. */
  readonly text: string;
}

/** Server stack value: the request as received, with the head that will be sent upstream. */
export interface Inbound {
  readonly kind: 'inbound';
  readonly exchange: Exchange;
  /**
   * Method, target and headers to send upstream (lower-case names; `undefined` values are not
   * sent), and where the request came from and arrived. Never mutated: rewrites make a new head.
   */
  readonly head: RequestHead;
  /** The `Host` the client sent (after an absolute-form rewrite), before any layer changed it. */
  readonly clientHost: string | undefined;
  readonly local: LocalDtab;
  /** Request body length as announced: -1 chunked, 0 none, else Content-Length. */
  readonly bodyLength: number;
}

/** Path stack input: the request named by the identifier (Linkerd's `Dst.Path`). */
export interface Identified {
  readonly kind: 'identified';
  readonly request: Inbound;
  /** The logical name, e.g. `/svc/web`. */
  readonly dst: Path;
  /** The identification's own dtab addition, bound after the base dtab and before the local one. */
  readonly dtab: Dtab;
  /** What the matched route asks for (timeouts, mirrors), from the identification; absent: nothing. */
  readonly actions?: RouteActions | undefined;
}

/** Client stack value: an identified request bound to a service and a client (bound name). */
export interface Bound {
  readonly kind: 'bound';
  readonly identified: Identified;
  /** The service record of `dst`: stats and retry budget (Linkerd's budget is per service). */
  readonly service: ServiceEntry;
  /** The client of the bound name the request goes to. */
  readonly client: BoundClient;
  /** How attempts send the body (set by the retries layer; `none` before it). */
  readonly body: RequestBody;
  /** Monotonic end of the total timeout, ns; 0 for none. */
  readonly deadlineNs: bigint;
  /**
   * What is left of the bound name after the namer consumed its prefix (Finagle's residual path),
   * sent upstream as `l5d-dst-residual` when not empty. Absent: empty.
   */
  readonly residual?: Path | undefined;
  /**
   * The client's own deadline (`grpc-timeout` or `l5d-ctx-deadline`, the earlier), monotonic ns,
   * set by the retries layer; an attempt cut at it ends as `SY_ERR_ROUTER_DEADLINE_EXCEEDED`.
   */
  readonly clientDeadline?: ClientDeadline | undefined;
}

/** A deadline the client set on the request, and the header that set it. */
export interface ClientDeadline {
  /** Monotonic ns (the router clock's `nanoTime`). */
  readonly ns: bigint;
  readonly header: 'grpc-timeout' | 'l5d-ctx-deadline';
  /** The budget the header gave, ms from when the router read it (for the error message). */
  readonly ms: number;
}

/** How the request body is sent on an attempt. */
export type RequestBody =
  | { readonly kind: 'none' }
  /** Read in full already (small bodies, so that the request can be retried). */
  | { readonly kind: 'buffered'; readonly data: Buffer }
  /** Piped from the client as it arrives; `maxBytes` aborts the request beyond it. */
  | { readonly kind: 'stream'; readonly maxBytes: number | undefined };

/** No body. */
export const NO_BODY: RequestBody = Object.freeze({ kind: 'none' });

/** Any stage value. */
export type Stage = Inbound | Identified | Bound;

/** Server stack handler: resolves when the response is complete; rejects only before headers were sent. */
export type ServerHandler = (request: Inbound) => Promise<void>;
/** Handler of identified requests (the path stack's entry). */
export type IdentifiedHandler = (request: Identified) => Promise<void>;
/** Path stack handler: resolves when the response is complete. */
export type BoundHandler = (request: Bound) => Promise<void>;
/**
 * Client stack handler: one attempt, resolving with the response head as it arrived, its body
 * held back. Whoever receives it must `relay` or `discard` it exactly once; the retry layer at
 * the bottom of the path stack decides which.
 */
export type AttemptHandler = (attempt: Bound) => Promise<HeldResponse>;

/** A user layer of the server stack: runs before `identify`, sees the request as received. */
export interface ServerLayer extends NamedLayer<ServerHandler> {
  readonly kind: 'server';
}
/** A user layer of the path stack: once per request, after `bind`, outside the retry loop. */
export interface PathLayer extends NamedLayer<BoundHandler> {
  readonly kind: 'path';
  /**
   * Called when the router evicts a service or a client (idle or beyond its cache), so that a
   * layer keeping per-name state (gauges, limits) can drop it. Must not throw.
   */
  readonly evicted?: (event: RouterEviction) => void;
}
/**
 * A user layer of the client stack: once per attempt, above dispatch. It passes the held
 * response of `next` on (or wraps its `relay`/`discard`); a layer that fails after `next`
 * resolved discards it.
 */
export interface ClientLayer extends NamedLayer<AttemptHandler> {
  readonly kind: 'client';
  /** As `PathLayer.evicted`. */
  readonly evicted?: (event: RouterEviction) => void;
}

/** The inbound request of any stage value. */
export function inboundOf(value: Stage): Inbound {
  switch (value.kind) {
    case 'inbound':
      return value;
    case 'identified':
      return value.request;
    case 'bound':
      return value.identified.request;
    default:
      return assertNever(value);
  }
}

/** The head to send upstream, from any stage value. */
export function headOf(value: Stage): RequestHead {
  return inboundOf(value).head;
}

/** The same stage value with another head (a rewrite): a new value, the old one unchanged. */
export function withHead<S extends Stage>(value: S, head: RequestHead): S;
export function withHead(value: Stage, head: RequestHead): Stage {
  switch (value.kind) {
    case 'inbound':
      return { ...value, head };
    case 'identified':
      return { ...value, request: { ...value.request, head } };
    case 'bound': {
      const identified = value.identified;
      return { ...value, identified: { ...identified, request: { ...identified.request, head } } };
    }
    default:
      return assertNever(value);
  }
}

/** A head with some headers replaced (`undefined` removes one): a new head and header map. */
export function withHeaders(
  head: RequestHead,
  changes: Readonly<Record<string, string | readonly string[] | undefined>>,
): RequestHead {
  return { ...head, headers: { ...head.headers, ...changes } };
}
