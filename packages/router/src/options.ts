/**
 * Options of `createRouter`, with Linkerd 1's names and defaults (HTTP router: `label` http,
 * `bindingTimeoutMs` 10 s, `bindingCache` 1000/600 s, `maxHeadersKB` 8, `maxErrResponseKB`
 * 5120, `maxCallDepth` 1000, server `ip` loopback, `clearContext` false).
 */
import type http from 'node:http';
import type https from 'node:https';
import type { BalancerFactory } from '@switchyard/balancers';
import type { Clock, Identifier, Random, RequestHead, Stats } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import type { StackEntry } from './entry.js';
import type { ForwardedHeaderOptions } from './headers.js';
import type { RouterClientOptions, RouterServiceOptions } from './policy-options.js';
import type { BindingCacheOptions, RouterEviction, RouterInterpreter } from './types/binding.js';

export type { RouterClientOptions, RouterServiceOptions };

/** Builds the listening server; receives the options the router wants applied. */
export type CreateServer = (options: http.ServerOptions) => http.Server | https.Server;

/** One listening socket of a router (Linkerd's `servers[]`). */
export interface RouterServerOptions {
  /** TCP port; 0 picks a free one (see `Router.servers` after `listen`). */
  readonly port: number;
  /** Address to bind. Default `127.0.0.1` (loopback, as Linkerd): an edge needs `0.0.0.0`. */
  readonly ip?: string;
  /**
   * Bind with `SO_REUSEPORT` (`server.listen({ reusePort: true })`), so that several processes
   * (or routers) can each listen on the same `ip:port` and the kernel spreads new connections
   * over them. Needs Node ≥ 22.12 (or ≥ 23.1) and an OS that has it (Linux, FreeBSD 12+); on an
   * older Node `createRouter` throws `SY_ERR_ROUTER_INVALID_OPTIONS` naming the field (older
   * Node would silently bind without it). Default false. Changing it on reload replaces the
   * listener.
   */
  readonly reusePort?: boolean;
  /**
   * Security boundary for untrusted clients: strip every inbound `l5d-*` header and `dtab-local`
   * unread, strip every `l5d-*` response header, and keep error bodies free of dtabs and
   * addresses. Default false.
   */
  readonly clearContext?: boolean;
  /** Requests in flight beyond this are answered 503 at once (no queue). Default unlimited. */
  readonly maxConcurrentRequests?: number;
  /** Largest request head, KiB (node's `maxHeaderSize`; 431 beyond). Default 8. */
  readonly maxHeadersKB?: number;
  /**
   * Time to receive the whole request (head and body), ms; 0 disables. Node's `requestTimeout`,
   * default 300000. Must not be below an explicit `headersTimeoutMs` (see `validateServerTimeouts`).
   */
  readonly requestTimeoutMs?: number;
  /**
   * Time to receive the request head, ms (slowloris: the connection gets 408 and is closed).
   * Node's `headersTimeout`, default 10000, lowered to `requestTimeoutMs` when that is smaller.
   */
  readonly headersTimeoutMs?: number;
  /** Idle time of a client keep-alive connection, ms; 0 disables. Default 5000. */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request body, bytes; larger is 413 (by Content-Length at once, or while streaming). Default unlimited. */
  readonly maxRequestBodyBytes?: number;
  /** Forwarding headers added upstream. Default `X-Forwarded-*` on, RFC 7239 off. */
  readonly forwarded?: ForwardedHeaderOptions;
  /** Builds the server, e.g. `(o) => https.createServer({ ...o, ...tlsOptions })`. Default `http.createServer`. */
  readonly createServer?: CreateServer;
}

/**
 * User layers for one stack: inserted at its user position (array) or replacing it (function of
 * the stack's defaults). `ServerLayer`s go in the server stack, `PathLayer`s in the path stack,
 * `ClientLayer`s in the client stack.
 */
export type StackLayers =
  | readonly StackEntry[]
  | ((defaults: readonly StackEntry[]) => readonly StackEntry[]);

/** User layers by stack (see `RouterOptions.layers`). */
export interface RouterStackLayers {
  readonly server?: StackLayers;
  readonly path?: StackLayers;
  readonly client?: StackLayers;
}

/** Options of {@link createRouter}. */
export interface RouterOptions {
  /** Router label, used in metrics (`rt/<label>/…`). Default `http`. */
  readonly label?: string;
  readonly servers: readonly RouterServerOptions[];
  /** Names requests, e.g. `io.l5d.header.token` on Host (`@switchyard/identifiers`). */
  readonly identifier: Identifier<RequestHead>;
  /** Binds names: core's `createInterpreter({ namers })`. */
  readonly interpreter: RouterInterpreter;
  /** The router's base dtab. Default empty. */
  readonly dtab?: Dtab;
  /** Parses `l5d-dtab`/`l5d-ctx-dtab`/`dtab-local` values. Default `Dtab.read`. */
  readonly parseDtab?: (text: string) => Dtab;
  /** Balancer per client. Default p2c with failure accrual (5 consecutive failures), as Linkerd. */
  readonly balancer?: BalancerFactory;
  readonly client?: RouterClientOptions;
  readonly service?: RouterServiceOptions;
  /**
   * Per bound name client policy (Linkerd's `client: { kind: io.l5d.static }`): called once when
   * the client of a bound id (e.g. `/$/inet/10.0.0.1/8080`, `/#/io.l5d.k8s/ns/http/web`) is
   * created; the fields it returns override `client`'s, field by field. It runs again only for a
   * client created afresh (after eviction from the binding cache).
   */
  readonly clientPolicy?: (bound: Path) => RouterClientOptions;
  /**
   * Per logical name service policy (Linkerd's `service: { kind: io.l5d.static }`): called once
   * when the service record of a name (e.g. `/svc/web`) is created; the fields it returns
   * override `service`'s, field by field.
   */
  readonly servicePolicy?: (logical: Path) => RouterServiceOptions;
  /** Longest wait for a name (and its address set) to bind, ms. Default 10000. */
  readonly bindingTimeoutMs?: number;
  readonly bindingCache?: BindingCacheOptions;
  /**
   * Called when a service (logical name) or client (bound name) leaves the binding caches, idle
   * for `bindingCache.idleTtlSecs` or beyond their size; path and client layers get the same
   * event through their own `evicted`. Must not throw.
   */
  readonly onEvicted?: (event: RouterEviction) => void;
  /** More `Via` hops than this is a routing loop: 400. Default 1000. */
  readonly maxCallDepth?: number;
  /** Error bodies are cut to this size, KiB. Default 5120. */
  readonly maxErrResponseKB?: number;
  /**
   * Extra layers, named per stack (`{ server, path, client }`), each an array inserted at the
   * stack's user position or a function from that stack's defaults to the stack to use: `server`
   * arrays go just before `identify` (they see the request as received); `path` arrays go after
   * `bind`, outside the retry loop (once per request); `client` arrays just above dispatch (once
   * per attempt). A layer standing where its value does not exist (a `ServerLayer` after
   * `identify`, a `PathLayer` before `bind`) is an `InvalidRouterOptionsError`.
   */
  readonly layers?: RouterStackLayers;
  /** Where metrics go (`rt/<label>/…`). Default `nullStats`. */
  readonly stats?: Stats;
  readonly clock?: Clock;
  /** For union branch choice. Default `Math.random`. */
  readonly random?: Random;
}
