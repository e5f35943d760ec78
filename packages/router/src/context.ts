/**
 * The per-request context that flows through the router's layers, and the handler type the
 * layers wrap. One mutable object per request: layers read and rewrite it, then call `next`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NamedLayer, RequestHead } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import type { HeaderMap } from './headers.js';

/** The server a request arrived on, as configured. */
export interface ServerContext {
  /** Listening address as configured (`127.0.0.1` by default). */
  readonly ip: string;
  /** Port as configured (0 for an ephemeral port). */
  readonly port: number;
  /** Strip inbound `l5d-*`, never interpret dtab headers, hide details in error responses. */
  readonly clearContext: boolean;
}

/** The raw-socket side of an `Upgrade` request (WebSocket). */
export interface UpgradeSocket {
  readonly socket: Duplex;
  /** Bytes the client sent after the request head. */
  readonly head: Buffer;
}

/**
 * What the layers see of one request. `method`, `url` and `headers` are what will be sent
 * upstream: a layer may rewrite them. `head` is the read-only view identifiers got (its headers
 * object is `headers`, so rewrites are visible to later identifiers too).
 */
export interface RouterContext {
  /** The router's label (Linkerd's `label`, default `http`). */
  readonly router: string;
  readonly server: ServerContext;
  readonly req: IncomingMessage;
  /**
   * The response to the client. For upgrade requests this is a response bound to the raw socket,
   * used for non-101 answers and errors.
   */
  readonly res: ServerResponse;
  /** Present for `Upgrade` requests. */
  readonly upgrade: UpgradeSocket | undefined;
  /** Method to send upstream. */
  method: string;
  /** Origin-form request target to send upstream. */
  url: string;
  /** Headers to send upstream (lower-case names; `undefined` values are not sent). */
  headers: HeaderMap;
  /** Identifier input; rebuilt from `method`/`url`/`headers` by the identify layer. */
  head: RequestHead;
  /** The `Host` the client sent (after absolute-form rewrite), before any layer changed it. */
  readonly clientHost: string | undefined;
  /** Per-request dtab appended to the router's base dtab (from `l5d-*` headers). */
  dtabLocal: Dtab;
  /** Text of `dtabLocal` as received, re-emitted downstream as `l5d-ctx-dtab`. */
  dtabLocalText: string;
  /** The logical name, set by identification (e.g. `/svc/web`). */
  dst: Path | undefined;
  /** `host:port` of the endpoint the latest attempt went to (set by dispatch), for telemetry. */
  readonly endpoint: string | undefined;
  /** Monotonic start time of the request in nanoseconds. */
  readonly startNs: bigint;
  /** Free-form slots for user layers (e.g. an auth layer's principal). */
  readonly locals: Record<string, unknown>;
}

/**
 * A router handler: serves one request, resolving when the response is complete. It rejects
 * only for failures that happened before response headers were sent; `rescue` turns those into
 * an error response.
 */
export type RouterHandler = (ctx: RouterContext) => Promise<void>;

/** A layer of the router stack with the metadata the admin prints. */
export type RouterLayer = NamedLayer<RouterHandler>;
