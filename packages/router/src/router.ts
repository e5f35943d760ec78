/**
 * The Router: Linkerd 1's HTTP router as a lifecycle object. It owns the listening servers, the
 * binding caches and the clients, and runs every request through its layer stack
 * (identify → bind → balance → dispatch). `createRouter` builds it; `listen()` binds the sockets;
 * `close()` drains in-flight requests and releases everything.
 *
 * Over ~300 lines because it is one lifecycle (validate → build stacks → listen → drain → close)
 * over shared private state; the request path itself lives in server/, path/ and client/.
 */
import http, { type IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { consecutiveFailures, p2c, withFailureAccrual } from '@switchyard/balancers';
import { type BoundName, type Identifier, nullStats, type RequestHead, systemClock } from '@switchyard/core';
import { Dtab, type NameTree, Path } from '@switchyard/dtab';
import { Binder, type RouterInterpreter } from './binding.js';
import { diagnostics } from './channels.js';
import { Client, type ClientState } from './client.js';
import type { AnyLayer } from './entry.js';
import { InvalidRouterOptionsError } from './errors.js';
import type { RouterOptions, RouterServerOptions } from './options.js';
import { resolveClientPolicy, resolveServicePolicy } from './policy.js';
import type { RouterRuntime, ServerRuntime } from './runtime.js';
import { inboundH1, inboundH2 } from './server/inbound.js';
import { respondError } from './server/respond-error.js';
import { validateServerTimeouts } from './server-timeouts.js';
import { buildStacks, composeStacks, type RouterStacks } from './stack.js';
import type { ServerHandler } from './stages.js';

/** A server of the router, with the address it is bound to once listening. */
export interface RouterServerInfo {
  /** Configured address. */
  readonly ip: string;
  /** Bound port (the configured one, or the ephemeral one picked for port 0). */
  readonly port: number;
  readonly clearContext: boolean;
  /** Connections and requests currently open. */
  readonly connections: number;
  readonly pending: number;
}

/** A layer as the admin prints it. */
export interface RouterLayerInfo {
  readonly role: string;
  readonly description: string;
}

/** Options of `Router.close`. */
export interface RouterCloseOptions {
  /** Longest wait for in-flight requests before connections are cut, ms. Default 10000. */
  readonly graceMs?: number;
}

interface ServerSlot {
  readonly options: RouterServerOptions;
  readonly runtime: ServerRuntime;
  readonly server: http.Server | https.Server;
  port: number;
  gauges: { dispose(): void }[];
}

function positive(name: string, value: number | undefined, allowZero = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new InvalidRouterOptionsError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
}

/**
 * An HTTP router. Create with {@link createRouter}; nothing listens until {@link Router.listen}.
 */
export class Router {
  readonly #label: string;
  readonly #options: RouterOptions;
  readonly #runtime: RouterRuntime;
  readonly #stacks: RouterStacks<readonly AnyLayer[]>;
  readonly #handler: ServerHandler;
  readonly #slots: ServerSlot[];
  readonly #binder: Binder;
  #listening = false;
  #closed: Promise<void> | undefined;

  constructor(options: RouterOptions) {
    if (!Array.isArray(options.servers) || options.servers.length === 0) {
      throw new InvalidRouterOptionsError('servers must list at least one server');
    }
    if (typeof options.identifier !== 'function')
      throw new InvalidRouterOptionsError('identifier is required');
    if (typeof options.interpreter?.bind !== 'function') {
      throw new InvalidRouterOptionsError('interpreter with bind(dtab, path) is required');
    }
    positive('bindingTimeoutMs', options.bindingTimeoutMs, true);
    positive('service.totalTimeoutMs', options.service?.totalTimeoutMs);
    positive('client.requestAttemptTimeoutMs', options.client?.requestAttemptTimeoutMs);
    positive('maxCallDepth', options.maxCallDepth);
    this.#options = options;
    this.#label = options.label ?? 'http';
    const clock = options.clock ?? systemClock;
    const rootStats = (options.stats ?? nullStats).scope('rt', this.#label);
    const balancer =
      options.balancer ?? withFailureAccrual(p2c(), consecutiveFailures({ failures: 5 }), { clock });
    const clientOptions = options.client ?? {};
    this.#binder = new Binder(
      options.interpreter,
      options.bindingCache ?? {},
      clock,
      (id: string, bound: BoundName) => {
        // The client policy of this bound name (`client` with `clientPolicy(id)` over it).
        const policy = resolveClientPolicy(clientOptions, options.clientPolicy, bound.id, balancer, clock);
        return new Client(id, bound, {
          balancer: policy.balancer,
          pool: policy.pool,
          stats: rootStats.scope('client', id.slice(1)),
          clock,
          attemptTimeoutMs: policy.attemptTimeoutMs,
          requeueBudget: policy.requeueBudget,
        });
      },
    );
    const baseDtab = options.dtab ?? Dtab.empty;
    this.#runtime = {
      label: this.#label,
      baseDtab,
      baseDtabText: Dtab.show(baseDtab),
      parseDtab: options.parseDtab ?? Dtab.read,
      binder: this.#binder,
      clock,
      random: options.random ?? Math.random,
      bindingTimeoutMs: options.bindingTimeoutMs ?? 10_000,
      maxCallDepth: options.maxCallDepth ?? 1000,
      maxErrBytes: (options.maxErrResponseKB ?? 5120) * 1024,
      stats: rootStats,
      servicePolicy: (dst) => resolveServicePolicy(options.service, options.servicePolicy, dst, clock),
      identify: options.identifier,
      closing: false,
      tunnels: new Set<Duplex>(),
    };
    this.#stacks = buildStacks(this.#runtime, options.layers);
    this.#handler = composeStacks(this.#runtime, this.#stacks);
    this.#slots = options.servers.map((s, i) => this.#createServer(s, `servers[${i}]`));
  }

  /** The router's label (`rt/<label>/…` in metrics). */
  get label(): string {
    return this.#label;
  }

  /** The base dtab. */
  get dtab(): Dtab {
    return this.#runtime.baseDtab;
  }

  /**
   * Swaps the base dtab and/or the identifier for requests that start from now on (a config
   * reload). Requests in flight finish with what they started with; no connection is touched.
   */
  reconfigure(changes: { readonly dtab?: Dtab; readonly identifier?: Identifier<RequestHead> }): void {
    if (changes.dtab !== undefined) {
      this.#runtime.baseDtab = changes.dtab;
      this.#runtime.baseDtabText = Dtab.show(changes.dtab);
      // Trees are cached by path (the base dtab is implied), so they must be bound again.
      this.#binder.forgetTrees();
    }
    if (changes.identifier !== undefined) this.#runtime.identify = changes.identifier;
  }

  /**
   * Ids of the clients a logical name (e.g. `/svc/default/http/world`) is currently bound to
   * under the base dtab, from the binding cache: `undefined` until a request has bound it. Never
   * binds, so the admin can call it freely.
   */
  boundClientIds(path: Path): readonly string[] | undefined {
    const state = this.#binder.peekTree(path.join('/'))?.state;
    if (state?.kind !== 'ok') return undefined;
    const ids: string[] = [];
    const walk = (tree: NameTree<BoundName>): void => {
      if (tree.kind === 'leaf') ids.push(Path.show(tree.value.id));
      else if (tree.kind === 'alt') tree.trees.forEach(walk);
      else if (tree.kind === 'union') for (const branch of tree.trees) walk(branch.tree);
    };
    walk(state.value);
    return ids;
  }

  /** The interpreter names are bound with (the admin delegator uses it). */
  get interpreter(): RouterInterpreter {
    return this.#options.interpreter;
  }

  /** Every layer, outermost first (server stack, then path, then client), as the admin prints it. */
  get layers(): readonly RouterLayerInfo[] {
    const { server, path, client } = this.#stacks;
    return [...server, ...path, ...client].map(info);
  }

  /** The three stacks, outermost first within each, as the admin prints them. */
  get stacks(): RouterStacks<readonly RouterLayerInfo[]> {
    const { server, path, client } = this.#stacks;
    return { server: server.map(info), path: path.map(info), client: client.map(info) };
  }

  /** The servers, with bound ports once listening. */
  get servers(): readonly RouterServerInfo[] {
    return this.#slots.map((s) => ({
      ip: s.runtime.context.ip,
      port: s.port,
      clearContext: s.runtime.context.clearContext,
      connections: s.runtime.connections,
      pending: s.runtime.inflight,
    }));
  }

  /** True while every server is listening and the router is not closing. */
  get ready(): boolean {
    return this.#listening && !this.#runtime.closing;
  }

  /** A snapshot of every live client (bound name) and its endpoints, for the dashboard. */
  clients(): ClientState[] {
    return this.#binder.clients().map((c) => c.state());
  }

  #createServer(options: RouterServerOptions, where: string): ServerSlot {
    positive(`${where}.port`, options.port, true);
    positive(`${where}.maxConcurrentRequests`, options.maxConcurrentRequests);
    positive(`${where}.maxHeadersKB`, options.maxHeadersKB);
    positive(`${where}.maxRequestBodyBytes`, options.maxRequestBodyBytes, true);
    const timeouts = validateServerTimeouts(options, where);
    const runtime: ServerRuntime = {
      context: Object.freeze({
        ip: options.ip ?? '127.0.0.1',
        port: options.port,
        clearContext: options.clearContext ?? false,
      }),
      maxConcurrentRequests: options.maxConcurrentRequests ?? Number.POSITIVE_INFINITY,
      maxRequestBodyBytes: options.maxRequestBodyBytes,
      forwarded: options.forwarded ?? {},
      inflight: 0,
      connections: 0,
      stats: serverStats(nullStats),
      open: new Set(),
    };
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: (options.maxHeadersKB ?? 8) * 1024,
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      noDelay: true,
    };
    // Node enforces request/headers timeouts on a sweep; sweep often enough that a slow head is
    // cut within a quarter of headersTimeoutMs of its deadline (headersTimeout <= requestTimeout).
    serverOptions.connectionsCheckingInterval = Math.max(
      50,
      Math.min(30_000, Math.floor(timeouts.headersTimeoutMs / 4)),
    );
    const server = options.createServer?.(serverOptions) ?? http.createServer(serverOptions);
    // Apply the limits again in case a custom factory dropped the options.
    server.requestTimeout = serverOptions.requestTimeout!;
    server.headersTimeout = serverOptions.headersTimeout!;
    server.keepAliveTimeout = serverOptions.keepAliveTimeout!;
    const label = this.#label;
    const handler = this.#handler;
    const rt = this.#runtime;
    const clock = rt.clock;
    server.on(
      'request',
      (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
        if (req instanceof Http2ServerRequest) {
          const request = inboundH2(label, runtime, req, res as Http2ServerResponse, clock.nanoTime());
          if (request.kind === 'malformed') respondError(rt, request.exchange, request.error);
          else void handler(request).catch(ignore);
          return;
        }
        void handler(
          inboundH1(label, runtime, req, res as ServerResponse, undefined, clock.nanoTime()),
        ).catch(ignore);
      },
    );
    // Upgrade requests, and CONNECT (which the stack answers 405), arrive with the raw socket.
    const onRawSocket = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      // A response bound to the raw socket answers non-101 outcomes and errors.
      const res = new ServerResponse(req);
      res.assignSocket(socket as Socket);
      res.shouldKeepAlive = false;
      // 'finish' means a plain response (error or non-101) was written: end the socket after it.
      res.once('finish', () => socket.end());
      rt.tunnels.add(socket);
      socket.once('close', () => rt.tunnels.delete(socket));
      const request = inboundH1(label, runtime, req, res, { socket, head }, clock.nanoTime());
      void handler(request).catch((err) => respondError(rt, request.exchange, err));
    };
    server.on('upgrade', onRawSocket);
    server.on('connect', onRawSocket);
    server.on('connection', (socket: Socket) => {
      runtime.connections++;
      socket.once('close', () => runtime.connections--);
    });
    return { options, runtime, server, port: options.port, gauges: [] };
  }

  /** Binds every server. Resolves with the servers once all listen. */
  async listen(): Promise<readonly RouterServerInfo[]> {
    if (this.#closed !== undefined) throw new InvalidRouterOptionsError('router is closed');
    if (this.#listening) return this.servers;
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const onError = (err: Error) => reject(err);
            slot.server.once('error', onError);
            slot.server.listen(slot.options.port, slot.runtime.context.ip, () => {
              slot.server.off('error', onError);
              slot.port = (slot.server.address() as AddressInfo).port;
              const scope = this.#runtime.stats.scope('server', slot.runtime.context.ip, String(slot.port));
              slot.runtime.stats = serverStats(scope);
              slot.gauges.push(
                scope.gauge(['connections'], () => slot.runtime.connections),
                scope.gauge(['pending'], () => slot.runtime.inflight),
              );
              if (diagnostics.listening.hasSubscribers) {
                diagnostics.listening.publish({
                  router: this.#label,
                  ip: slot.runtime.context.ip,
                  port: slot.port,
                });
              }
              resolve();
            });
          }),
      ),
    );
    this.#listening = true;
    return this.servers;
  }

  /**
   * Graceful shutdown: stop accepting, answer new requests on open connections with 503, let
   * in-flight requests finish (responses carry `Connection: close`), then close connections,
   * clients and namer observations. After `graceMs` whatever is left is cut.
   */
  close(options: RouterCloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.graceMs ?? 10_000);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    const rt = this.#runtime;
    rt.closing = true;
    // Responses still to be written announce the drain (new requests get 503 + close in admission).
    for (const slot of this.#slots) {
      for (const res of slot.runtime.open)
        if (!res.headersSent && !(res instanceof Http2ServerResponse)) res.setHeader('connection', 'close');
    }
    const stopped = this.#slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (!slot.server.listening) return resolve();
          slot.server.close(() => resolve());
          slot.server.closeIdleConnections();
        }),
    );
    const inflight = () => this.#slots.reduce((n, s) => n + s.runtime.inflight, 0);
    const deadline = rt.clock.now() + graceMs;
    while (inflight() > 0 && rt.clock.now() < deadline) {
      await new Promise<void>((resolve) => rt.clock.setTimeout(resolve, 10));
      for (const slot of this.#slots) slot.server.closeIdleConnections();
    }
    const forced = inflight() > 0;
    for (const slot of this.#slots) {
      slot.server.closeAllConnections();
      for (const g of slot.gauges) g.dispose();
    }
    for (const socket of rt.tunnels) socket.destroy();
    rt.tunnels.clear();
    await Promise.all(stopped);
    await this.#binder.close(forced);
    this.#listening = false;
    if (diagnostics.closed.hasSubscribers) diagnostics.closed.publish({ router: this.#label, forced });
  }
}

function info(l: AnyLayer): RouterLayerInfo {
  return { role: l.role, description: l.description };
}

/** The stack rescues every error; this only keeps a misbuilt custom stack from crashing the process. */
function ignore(): void {}

function serverStats(scope: import('@switchyard/core').Stats) {
  return {
    requests: scope.counter('requests'),
    http1Requests: scope.counter('protocol', 'http1', 'requests'),
    h2Requests: scope.counter('protocol', 'h2', 'requests'),
    success: scope.counter('success'),
    failures: scope.counter('failures'),
    latency: scope.histogram('request_latency_ms'),
    statusClass: [undefined, ...[1, 2, 3, 4, 5].map((d) => scope.counter('status', `${d}XX`))],
  };
}

/**
 * Builds a router (not yet listening).
 * @example
 * const router = createRouter({
 *   servers: [{ port: 4140, ip: '0.0.0.0', clearContext: true }],
 *   identifier: headerTokenIdentifier({ header: 'host' }),
 *   interpreter: createInterpreter({ namers }),
 *   dtab: Dtab.read('/svc => /#/io.l5d.fs'),
 * });
 * await router.listen();
 */
export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}
