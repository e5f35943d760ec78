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
import { Http2ServerRequest, Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type https from 'node:https';
import { type AddressInfo, isIP, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { consecutiveFailures, p2c, withFailureAccrual } from '@switchyard/balancers';
import {
  type BoundName,
  type Clock,
  type Identifier,
  nullStats,
  type RequestHead,
  systemClock,
} from '@switchyard/core';
import { Dtab, type NameTree, Path } from '@switchyard/dtab';
import { diagnostics } from './channels.js';
import { Binder } from './client/binding.js';
import { Client } from './client/client.js';
import { resolveClientPolicy, resolveServicePolicy } from './client/policy.js';
import { closeWhenIdle } from './close-when-idle.js';
import type { StackEntry } from './entry.js';
import { InvalidRouterOptionsError } from './errors.js';
import type { RouterOptions, RouterServerOptions } from './options.js';
import type { RouterRuntime, ServerRuntime } from './runtime.js';
import { isH2cOnlyUpgrade, replayWithoutUpgrade } from './server/h2c-upgrade.js';
import { inboundH1, inboundH2 } from './server/inbound.js';
import { respondError } from './server/respond-error.js';
import { validateReusePort } from './server/reuse-port.js';
import {
  acceptsConnections,
  closeUnbound,
  createAcceptor,
  type Feed,
  handOver,
  isFeedable,
} from './server/takeover.js';
import { planServers, sameServerSettings } from './server-reload.js';
import { validateServerTimeouts } from './server-timeouts.js';
import { buildStacks, composeStacks, type RouterStacks } from './stack.js';
import type { ServerHandler } from './stages.js';
import type {
  BindingCacheOptions,
  RouterBinder,
  RouterEviction,
  RouterInterpreter,
} from './types/binding.js';
import type { ClientState } from './types/client.js';

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
  options: RouterServerOptions;
  readonly runtime: ServerRuntime;
  readonly server: http.Server | https.Server;
  port: number;
  gauges: { dispose(): void }[];
  /** Set once the slot drains (removed or replaced by a reload): responses close their connection. */
  draining: boolean;
  /** Listen with `SO_REUSEPORT` (validated `RouterServerOptions.reusePort`). */
  readonly reusePort: boolean;
  /** The server holding the listening socket this slot accepts on: `server`, or the one it took over. */
  listener: NetServer;
  /** Set once a replacement took the listener over (see `server/takeover.ts`): it is not closed here. */
  handedOver: boolean;
  /**
   * HTTP/1 connections of a fed server whose first request has not started yet. Node counts them
   * idle, so a drain closes idle connections only once this is empty: a connection accepted just
   * before a takeover is answered, not reset.
   */
  readonly unanswered: Set<Socket> | undefined;
  /**
   * The acceptor target of a server the router feeds (a plain `http.Server` or a door server with
   * `acceptConnection`; `listener` is then the acceptor); undefined for servers that listen themselves.
   */
  feed: Feed | undefined;
}

/** What `reconfigureServers` did to each server, by its position in the new list (or the old one). */
export interface RouterServerChanges {
  /** New servers, now listening: `ip:port` each. */
  readonly added: readonly string[];
  /** Removed servers, drained and closed. */
  readonly removed: readonly string[];
  /** Servers whose settings changed on the live `http.Server` (clearContext, limits, timeouts). */
  readonly changedInPlace: readonly string[];
  /** Servers drained and replaced by a new listener (ip, maxHeadersKB, a new `createServer`: TLS, h2). */
  readonly replaced: readonly string[];
}

/** Options of `Router.reconfigureServers`. */
export interface RouterServerReloadOptions {
  /** Longest wait for a removed or replaced server's in-flight requests, ms. Default 10000. */
  readonly graceMs?: number;
}

/** A server list change, bound but not yet swapped in: see `Router.prepareServers`. */
export interface PreparedServers {
  /** Swaps the new list in: starts the deferred listeners, drains removed and replaced servers. */
  commit(): Promise<RouterServerChanges>;
  /** Closes the listeners the preparation bound; the running servers are untouched. */
  abort(): Promise<void>;
}

/** The local address of every connection to a listener on `ip`: `ip` itself unless wildcard or a name. */
function fixedLocalAddress(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0 || (family === 4 && ip === '0.0.0.0') || (family === 6 && /^[0:]+$/.test(ip)))
    return undefined;
  return ip;
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
  #stacks: RouterStacks<readonly StackEntry[]>;
  #handler: ServerHandler;
  #slots: ServerSlot[];
  #binder: Binder;
  readonly #newBinder: (interpreter: RouterInterpreter) => Binder;
  #interpreter: RouterInterpreter;
  /** The client and service policies new binders and service records are made with. */
  #policies: RouterPolicies;
  /** The layers the stacks were last built from (a policy change rebuilds the stacks with them). */
  #layers: RouterOptions['layers'];
  /** The binding caches' shape (new binders are made with it; a reload may change it). */
  #bindingCache: BindingCacheOptions;
  /**
   * Binders retired by an interpreter or policy change, each with what its closing resolves:
   * closed once unused, at the latest when their grace ends (or with the router).
   */
  readonly #retiredBinders = new Map<Binder, { readonly closed: Promise<void>; readonly done: () => void }>();
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
    this.#policies = policiesOf(options);
    this.#layers = options.layers;
    this.#bindingCache = options.bindingCache ?? {};
    this.#newBinder = (interpreter) => {
      // A binder's clients keep the policies it was made with (a policy change makes a new binder).
      const { client = {}, clientPolicy } = this.#policies;
      return new Binder(
        interpreter,
        this.#bindingCache,
        clock,
        (id: string, bound: BoundName) => {
          // The client policy of this bound name (`client` with `clientPolicy(id)` over it).
          const policy = resolveClientPolicy(client, clientPolicy, bound.id, balancer, clock);
          return new Client(id, bound, {
            balancer: policy.balancer,
            pool: policy.pool,
            stats: rootStats.scope('client', id.slice(1)),
            clock,
            attemptTimeoutMs: policy.attemptTimeoutMs,
            requeueBudget: policy.requeueBudget,
          });
        },
        (event) => this.#evicted(event, options.onEvicted),
      );
    };
    this.#interpreter = options.interpreter;
    this.#binder = this.#newBinder(options.interpreter);
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
      servicePolicy: servicePolicyOf(this.#policies, clock),
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

  /**
   * A service or client left the binding caches: tell `onEvicted`, then every path and client
   * layer of the current stacks that has an `evicted` hook, then the diagnostics channel. A
   * throwing hook is reported on `switchyard:router:evicted` and does not stop the others.
   */
  #evicted(event: RouterEviction, onEvicted: ((event: RouterEviction) => void) | undefined): void {
    const hooks: ((event: RouterEviction) => void)[] = onEvicted ? [onEvicted] : [];
    for (const l of [...this.#stacks.path, ...this.#stacks.client]) {
      if ((l.kind === 'path' || l.kind === 'client') && l.evicted) hooks.push(l.evicted);
    }
    for (const hook of hooks) {
      try {
        hook(event);
      } catch (error) {
        if (diagnostics.evicted.hasSubscribers)
          diagnostics.evicted.publish({ router: this.#label, event, error });
      }
    }
    if (diagnostics.evicted.hasSubscribers) diagnostics.evicted.publish({ router: this.#label, event });
  }

  /** The base dtab. */
  get dtab(): Dtab {
    return this.#runtime.baseDtab;
  }

  /**
   * Swaps what requests that start from now on use (a config reload); requests in flight finish
   * with what they started with, and no connection is touched.
   * - `dtab`: the base dtab; bound trees are forgotten (names bind again), clients are kept.
   * - `identifier`: the identifier.
   * - `interpreter`: a new binding cache over it (the namers changed): names bind again and get
   *   new clients; the old clients serve the requests already bound to them, each closed
   *   gracefully once no request uses it, at the latest after `graceMs` (default 10000).
   * - `layers`: the stacks are rebuilt from these layers (as `RouterOptions.layers`), e.g. new
   *   telemetry or limits; a misplaced layer throws here and nothing changes.
   * - `policies`: the client and service policies (`client`, `clientPolicy`, `service`,
   *   `servicePolicy` as in `RouterOptions`), replaced as a whole (a field left out is no longer
   *   set). Service records are made afresh (new timeouts, classifiers, retry budgets) and names
   *   bind again in a new binding cache whose clients (pools, balancers) follow the new client
   *   policy; requests in flight finish on the old clients, which close as on an `interpreter`
   *   change.
   * - `bindingTimeoutMs`: how long requests from now on wait for a name to bind (as
   *   `RouterOptions.bindingTimeoutMs`); the stacks are rebuilt so the bind layer describes it.
   * - `bindingCache`: the sizes and idle TTL of the binding caches (as
   *   `RouterOptions.bindingCache`): names bind again in a new binding cache of that shape; the
   *   old clients close as on an `interpreter` change.
   *
   * Returns `released`: resolves once every binding cache retired so far (by this change or an
   * earlier one) has closed, i.e. no client of the router binds through an interpreter other
   * than the current one any more (at once when none is retiring). A reload closes the old
   * namers then, instead of waiting out their grace.
   */
  reconfigure(changes: {
    readonly dtab?: Dtab;
    readonly identifier?: Identifier<RequestHead>;
    readonly interpreter?: RouterInterpreter;
    readonly layers?: RouterOptions['layers'];
    readonly policies?: RouterPolicies;
    readonly bindingTimeoutMs?: number;
    readonly bindingCache?: BindingCacheOptions;
    readonly graceMs?: number;
  }): { readonly released: Promise<void> } {
    if (changes.policies !== undefined) validatePolicies(changes.policies);
    positive('bindingTimeoutMs', changes.bindingTimeoutMs, true);
    const rt = this.#runtime as { bindingTimeoutMs: number };
    if (
      changes.layers !== undefined ||
      changes.policies !== undefined ||
      changes.bindingTimeoutMs !== undefined
    ) {
      const layers = changes.layers ?? this.#layers;
      const timeout = rt.bindingTimeoutMs;
      rt.bindingTimeoutMs = changes.bindingTimeoutMs ?? timeout;
      // Build first: a stack that does not compose throws before anything is swapped. (Service
      // records live in the binder: a policy change gets fresh ones from the new binder below.)
      try {
        const stacks = buildStacks(this.#runtime, layers);
        const handler = composeStacks(this.#runtime, stacks);
        this.#stacks = stacks;
        this.#handler = handler;
        this.#layers = layers;
      } catch (error) {
        rt.bindingTimeoutMs = timeout;
        throw error;
      }
    }
    if (changes.policies !== undefined) {
      this.#policies = changes.policies;
      // Read when a service record is made: the old stacks' records keep their policy.
      (this.#runtime as { servicePolicy: RouterRuntime['servicePolicy'] }).servicePolicy = servicePolicyOf(
        changes.policies,
        this.#runtime.clock,
      );
    }
    if (changes.bindingCache !== undefined) this.#bindingCache = changes.bindingCache;
    if (changes.policies !== undefined || changes.bindingCache !== undefined) {
      this.#retireBinder(this.#interpreter, changes.graceMs);
    }
    if (changes.dtab !== undefined) {
      this.#runtime.baseDtab = changes.dtab;
      this.#runtime.baseDtabText = Dtab.show(changes.dtab);
      // Trees are cached by path (the base dtab is implied), so they must be bound again.
      this.#binder.forgetTrees();
    }
    if (changes.identifier !== undefined) this.#runtime.identify = changes.identifier;
    if (changes.interpreter !== undefined && changes.interpreter !== this.#interpreter) {
      this.#retireBinder(changes.interpreter, changes.graceMs);
    }
    const closing = [...this.#retiredBinders.values()].map((r) => r.closed);
    return { released: Promise.all(closing).then(() => undefined) };
  }

  /**
   * Starts a new binding cache over `interpreter` (with the current policies); the old one serves
   * what is bound to it: each old client is closed gracefully once no request uses it, the rest
   * after `graceMs`.
   */
  #retireBinder(interpreter: RouterInterpreter, graceMs = 10_000): void {
    const retired = this.#binder;
    this.#interpreter = interpreter;
    this.#binder = this.#newBinder(interpreter);
    (this.#runtime as { binder: RouterBinder }).binder = this.#binder;
    let done!: () => void;
    const closed = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.#retiredBinders.set(retired, { closed, done });
    // Each old client closes once its last request ended; what is left, after graceMs.
    closeWhenIdle(retired, graceMs, this.#runtime.clock, () => {
      this.#retiredBinders.delete(retired);
      done();
    });
  }

  /**
   * Changes the server list of a running router in two steps, so that a reload can bind every
   * new port before it changes anything: servers are matched by configured port (port 0 by
   * position among the port-0 servers). `prepareServers` validates the list and binds added
   * servers and replacements on another address; `commit()` then applies the rest: settings a
   * live `http.Server` accepts change in place (clearContext, maxConcurrentRequests,
   * maxRequestBodyBytes, forwarded headers, request/headers/keep-alive timeouts); a changed `ip`,
   * `maxHeadersKB` or a new `createServer` (TLS, h2) is a drain-and-replace; removed servers drain
   * like `close()` (in-flight requests finish, keep-alive connections close after their response,
   * the listener closes; cut after `graceMs`). A replacement on the same ip and port takes the
   * running listener over when both servers can be fed by the router's acceptor (a plain
   * `http.Server`, or a server with `acceptConnection` such as `@switchyard/tls`'s door servers:
   * TLS on or off, `h2`, ALPN, `maxHeadersKB`): no connection is refused or reset (see
   * `server/takeover.ts`). A `reusePort` flip, or a custom server without `acceptConnection`,
   * binds once the old listener stopped, and new connections are refused for that moment.
   */
  async prepareServers(
    servers: readonly RouterServerOptions[],
    options: RouterServerReloadOptions = {},
  ): Promise<PreparedServers> {
    if (!this.#listening || this.#runtime.closing) {
      throw new InvalidRouterOptionsError('servers can only be reconfigured while the router listens');
    }
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new InvalidRouterOptionsError('servers must list at least one server');
    }
    const graceMs = options.graceMs ?? 10_000;
    const plan = planServers(
      this.#slots.map((s) => s.options),
      servers,
    );
    const fresh = new Map<number, ServerSlot>();
    // Same-address replacements are created at commit (a server that never listens is not made).
    const deferred = plan.replaced.filter((r) => sameAddress(this.#slots[r.previous]!, servers[r.next]!));
    for (const index of [...plan.added, ...plan.replaced.map((r) => r.next)]) {
      if (deferred.some((r) => r.next === index)) continue;
      fresh.set(index, this.#createServer(servers[index]!, `servers[${index}]`));
    }
    const bound: ServerSlot[] = [];
    const abort = async () => {
      await Promise.all(bound.map((slot) => this.#drain(slot, 0)));
    };
    try {
      for (const index of plan.added) {
        await this.#bind(fresh.get(index)!);
        bound.push(fresh.get(index)!);
      }
      for (const { next } of plan.replaced) {
        // The address of the server it replaces: bound once that one stopped listening.
        const slot = fresh.get(next);
        if (slot === undefined) continue;
        await this.#bind(slot);
        bound.push(slot);
      }
    } catch (error) {
      await abort();
      throw error;
    }
    let settled = false;
    return {
      abort: async () => {
        if (settled) return;
        settled = true;
        await abort();
      },
      commit: async () => {
        if (settled) throw new InvalidRouterOptionsError('prepared servers were already applied or aborted');
        settled = true;
        const old = this.#slots;
        const show = (slot: ServerSlot) => `${slot.runtime.context.ip}:${slot.port}`;
        const inPlace = [...plan.kept]
          .filter(([i, from]) => !sameServerSettings(old[from]!.options, servers[i]!))
          .map(([i]) => i);
        for (const [i, from] of plan.kept) this.#applyInPlace(old[from]!, servers[i]!, `servers[${i}]`);
        // A plain HTTP server replaced on the same ip and port takes the running listener over
        // before the old server drains: the socket never closes, so no connection is refused.
        const rebind = deferred.filter(({ previous, next: index }) => {
          const slot = this.#takeOver(old[previous]!, servers[index]!, `servers[${index}]`);
          if (slot !== undefined) fresh.set(index, slot);
          return slot === undefined;
        });
        const leaving = [...plan.removed.map((i) => old[i]!), ...plan.replaced.map((r) => old[r.previous]!)];
        const drained = leaving.map((slot) => this.#drain(slot, graceMs));
        // A replacement on the same address binds as soon as the old listener has let go of it
        // (#drain closed it above); a listen that failed leaves a server unusable, so each try
        // uses a new one.
        for (const { next: index } of rebind) {
          fresh.set(index, await this.#bindNew(servers[index]!, `servers[${index}]`));
        }
        const next: ServerSlot[] = servers.map((_, i) => fresh.get(i) ?? old[plan.kept.get(i)!]!);
        this.#slots = next;
        await Promise.all(drained);
        return {
          added: plan.added.map((i) => show(next[i]!)),
          removed: plan.removed.map((i) => show(old[i]!)),
          changedInPlace: inPlace.map((i) => show(next[i]!)),
          replaced: plan.replaced.map((r) => show(next[r.next]!)),
        };
      },
    };
  }

  /** `prepareServers` and `commit` in one step. */
  async reconfigureServers(
    servers: readonly RouterServerOptions[],
    options: RouterServerReloadOptions = {},
  ): Promise<RouterServerChanges> {
    return (await this.prepareServers(servers, options)).commit();
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

  /** The interpreter names are bound with (the admin delegator uses it); a reload may swap it. */
  get interpreter(): RouterInterpreter {
    return this.#interpreter;
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
    const reusePort = validateReusePort(options.reusePort, `${where}.reusePort`);
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
      localAddress: fixedLocalAddress(options.ip ?? '127.0.0.1'),
      localPort: 0,
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
    const rt = this.#runtime;
    const clock = rt.clock;
    // Read per request: a reload may rebuild the stacks (`reconfigure({ layers })`).
    const handler: ServerHandler = (request) => this.#handler(request);
    // A door server's 'connection' events carry the socket its requests arrive on (the TLS one
    // for HTTPS), as a plain server's do; another custom server's may not (https.Server).
    const unanswered = isFeedable(server) ? new Set<Socket>() : undefined;
    server.on(
      'request',
      (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
        if (unanswered?.size && !(req instanceof Http2ServerRequest)) unanswered.delete(req.socket as Socket);
        // A draining server (removed or replaced by a reload) closes each connection after its response.
        if (slot.draining && res instanceof ServerResponse && !res.headersSent)
          res.setHeader('connection', 'close');
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
    const replayed = new WeakSet<Duplex>();
    const onRawSocket = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (unanswered?.size) unanswered.delete(req.socket);
      if (isH2cOnlyUpgrade(req)) {
        // Declined: served as the HTTP/1.1 request it also is (see h2c-upgrade.ts).
        replayed.add(socket);
        replayWithoutUpgrade(req, socket, head);
        server.emit('connection', socket);
        return;
      }
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
    // One listener for every connection of this server ('close' fires once per socket or
    // session): a closure and a once-wrapper per connection cost ~420 B of each idle keep-alive.
    const connectionClosed = function (this: Socket | ServerHttp2Session) {
      runtime.connections--;
      if (unanswered?.size) unanswered.delete(this as Socket);
    };
    server.on('connection', (socket: Socket) => {
      // A socket replayed after a declined h2c upgrade is counted once, when it first connected.
      if (replayed.has(socket)) return;
      runtime.connections++;
      unanswered?.add(socket);
      socket.on('close', connectionClosed);
    });
    // HTTP/2 connections of a front door (TLS by ALPN, or plain h2c) arrive as sessions.
    server.on('session', (session: ServerHttp2Session) => {
      runtime.connections++;
      session.on('close', connectionClosed);
    });
    const slot: ServerSlot = {
      options,
      runtime,
      server,
      port: options.port,
      gauges: [],
      draining: false,
      reusePort,
      listener: server,
      handedOver: false,
      unanswered,
      feed: undefined,
    };
    if (isFeedable(server)) {
      slot.feed = { target: server };
      slot.listener = createAcceptor(slot.feed);
    }
    return slot;
  }

  /** Applies the settings a live server accepts (see `prepareServers`). */
  #applyInPlace(slot: ServerSlot, next: RouterServerOptions, where: string): void {
    positive(`${where}.maxConcurrentRequests`, next.maxConcurrentRequests);
    positive(`${where}.maxRequestBodyBytes`, next.maxRequestBodyBytes, true);
    const timeouts = validateServerTimeouts(next, where);
    const runtime = slot.runtime as Mutable<ServerRuntime>;
    runtime.context = Object.freeze({
      ip: slot.runtime.context.ip,
      port: slot.runtime.context.port,
      clearContext: next.clearContext ?? false,
    });
    runtime.maxConcurrentRequests = next.maxConcurrentRequests ?? Number.POSITIVE_INFINITY;
    runtime.maxRequestBodyBytes = next.maxRequestBodyBytes;
    runtime.forwarded = next.forwarded ?? {};
    slot.server.requestTimeout = timeouts.requestTimeoutMs;
    slot.server.headersTimeout = timeouts.headersTimeoutMs;
    slot.server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
    // Keep the running server's factory: the caller passes a new one only to replace the server.
    slot.options = { ...next, createServer: slot.options.createServer };
  }

  /** Binds one server and registers its gauges. */
  #bind(slot: ServerSlot): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const listener = slot.listener;
      const onError = (err: Error) => reject(err);
      listener.once('error', onError);
      const onListening = () => {
        listener.off('error', onError);
        // Starts Node's timeout sweep of an HTTP server that accepts through an acceptor.
        if (listener !== slot.server) slot.server.emit('listening');
        this.#registerListening(slot, (listener.address() as AddressInfo).port);
        resolve();
      };
      const host = slot.runtime.context.ip;
      // The options form only with reusePort: Node before 22.12 has no such option (refused above).
      if (slot.reusePort) listener.listen({ port: slot.options.port, host, reusePort: true }, onListening);
      else listener.listen(slot.options.port, host, onListening);
    });
  }

  /** Records the port a slot accepts on and registers its gauges. */
  #registerListening(slot: ServerSlot, port: number): void {
    slot.port = port;
    slot.runtime.localPort = slot.port;
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
  }

  /**
   * A new server for `options` accepting on `running`'s listener (see `server/takeover.ts`), or
   * undefined when it cannot: another ip, a `reusePort` change (the kernel shares a port only
   * between sockets that all set SO_REUSEPORT), or a server the router cannot feed before or
   * after (a custom server without `acceptConnection` listens itself).
   */
  #takeOver(running: ServerSlot, options: RouterServerOptions, where: string): ServerSlot | undefined {
    if ((options.ip ?? '127.0.0.1') !== running.runtime.context.ip) return undefined;
    if ((options.reusePort ?? false) !== running.reusePort) return undefined;
    if (running.feed === undefined) return undefined;
    const slot = this.#createServer(options, where);
    if (slot.feed === undefined) {
      // Made only to find out: it never listened, so this just releases it.
      slot.server.close();
      return undefined;
    }
    slot.listener = running.listener;
    slot.feed = running.feed;
    handOver(running.feed, slot.server);
    running.handedOver = true;
    this.#registerListening(slot, running.port);
    return slot;
  }

  /** A new server for `options`, bound; retried while the address is still held by a closing listener (up to 2 s). */
  async #bindNew(options: RouterServerOptions, where: string): Promise<ServerSlot> {
    const clock = this.#runtime.clock;
    for (let attempt = 0; ; attempt++) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, attempt === 0 ? 1 : 10));
      const slot = this.#createServer(options, where);
      try {
        await this.#bind(slot);
        return slot;
      } catch (error) {
        slot.server.close();
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 200) throw error;
      }
    }
  }

  /**
   * Drains one server as `close()` drains them all: stop accepting, mark responses still to be
   * written `Connection: close`, close idle keep-alive connections as they become idle, and cut
   * what is left after `graceMs`.
   */
  async #drain(slot: ServerSlot, graceMs: number): Promise<void> {
    slot.draining = true;
    for (const res of slot.runtime.open)
      if (!res.headersSent && !(res instanceof Http2ServerResponse)) res.setHeader('connection', 'close');
    // A fed door server's close resolves once its last connection closed: until then a TLS
    // handshake or an h2c preface may still be under way on a connection accepted just before a
    // handover, which is served (then closed after its response), not cut.
    const door = slot.feed !== undefined && acceptsConnections(slot.server);
    // node's http.Server.close() also closes idle connections, and a connection accepted just
    // before a handover whose request has not arrived yet counts as idle: a plain server handed
    // over is closed only once those are answered (faults reload-everything saw ECONNRESET).
    let stopped = slot.handedOver && !door ? undefined : stopAccepting(slot);
    let doorOpen = door;
    void stopped?.then(() => {
      doorOpen = false;
    });
    const clock = this.#runtime.clock;
    const deadline = clock.now() + graceMs;
    // Idle keep-alive connections close; one whose first request has not started yet is waited for.
    const unanswered = () => slot.unanswered?.size ?? 0;
    if (unanswered() === 0) slot.server.closeIdleConnections();
    while ((slot.runtime.inflight > 0 || unanswered() > 0 || doorOpen) && clock.now() < deadline) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
      if (unanswered() === 0) slot.server.closeIdleConnections();
    }
    stopped ??= stopAccepting(slot);
    slot.server.closeAllConnections();
    for (const g of slot.gauges) g.dispose();
    slot.gauges = [];
    await stopped;
  }

  /** Binds every server. Resolves with the servers once all listen. */
  async listen(): Promise<readonly RouterServerInfo[]> {
    if (this.#closed !== undefined) throw new InvalidRouterOptionsError('router is closed');
    if (this.#listening) return this.servers;
    await Promise.all(this.#slots.map((slot) => this.#bind(slot)));
    this.#listening = true;
    return this.servers;
  }

  /**
   * Graceful shutdown: stop accepting, answer connections accepted just before (first request not
   * arrived yet) with `Connection: close`, then answer new requests on open connections with 503, let
   * in-flight requests finish (responses carry `Connection: close`), then close connections,
   * clients and namer observations. After `graceMs` whatever is left is cut.
   */
  close(options: RouterCloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(options.graceMs ?? 10_000);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    const rt = this.#runtime;
    const deadline = rt.clock.now() + graceMs;
    // Stop accepting first. A connection accepted just before whose first request has not
    // started yet (Node counts it idle) is answered, as #drain answers it, not reset by
    // closeIdleConnections nor refused with 503: until none is left, requests are served with
    // `Connection: close` (a draining slot's responses close their connection).
    const stopped = this.#slots.map((slot) => {
      slot.draining = true;
      return stopAccepting(slot);
    });
    const unanswered = () => this.#slots.reduce((n, s) => n + (s.unanswered?.size ?? 0), 0);
    while (unanswered() > 0 && rt.clock.now() < deadline)
      await new Promise<void>((resolve) => rt.clock.setTimeout(resolve, 10));
    rt.closing = true;
    // Responses still to be written announce the drain (new requests get 503 + close in admission).
    for (const slot of this.#slots) {
      for (const res of slot.runtime.open)
        if (!res.headersSent && !(res instanceof Http2ServerResponse)) res.setHeader('connection', 'close');
      slot.server.closeIdleConnections();
    }
    const inflight = () => this.#slots.reduce((n, s) => n + s.runtime.inflight, 0);
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
    const retired = [...this.#retiredBinders];
    this.#retiredBinders.clear();
    await Promise.all([
      this.#binder.close(forced),
      ...retired.map(([b, { done }]) => b.close(forced).finally(done)),
    ]);
    this.#listening = false;
    if (diagnostics.closed.hasSubscribers) diagnostics.closed.publish({ router: this.#label, forced });
  }
}

/** The client and service policies of a router, as `Router.reconfigure({ policies })` replaces them. */
export type RouterPolicies = Pick<RouterOptions, 'client' | 'clientPolicy' | 'service' | 'servicePolicy'>;

function policiesOf(options: RouterOptions): RouterPolicies {
  const { client, clientPolicy, service, servicePolicy } = options;
  return { client, clientPolicy, service, servicePolicy };
}

function validatePolicies(p: RouterPolicies): void {
  positive('service.totalTimeoutMs', p.service?.totalTimeoutMs);
  positive('client.requestAttemptTimeoutMs', p.client?.requestAttemptTimeoutMs);
}

/** Resolves a logical name's service policy under `p`. */
function servicePolicyOf(p: RouterPolicies, clock: Clock): RouterRuntime['servicePolicy'] {
  return (dst) => resolveServicePolicy(p.service, p.servicePolicy, dst, clock);
}

/** Whether a new server would bind where a running one listens (a wildcard address takes the port on all). */
function sameAddress(running: ServerSlot, next: RouterServerOptions): boolean {
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  const ip = next.ip ?? '127.0.0.1';
  const port = next.port === 0 ? running.port : next.port;
  return (
    port === running.port &&
    (ip === running.runtime.context.ip || wildcard(ip) || wildcard(running.runtime.context.ip))
  );
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Stops a slot accepting: closes the listening socket it accepts on unless a replacement took it
 * over, and stops the timeout sweep of a server that accepted through another's socket.
 */
function stopAccepting(slot: ServerSlot): Promise<void> {
  const unbound =
    slot.server === slot.listener ? Promise.resolve() : closeUnbound(slot.server as http.Server);
  if (slot.handedOver) return unbound;
  return Promise.all([stopListening(slot.listener), unbound]).then(() => undefined);
}

/** Stops accepting; resolves once the listener is closed (open connections may remain). */
function stopListening(server: NetServer): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    // The callback waits for every connection; 'close' of the listener itself is enough here
    // for a front-door server, and `closeAllConnections` ends the rest at the drain's deadline.
    server.close(() => resolve());
  });
}

function info(l: StackEntry): RouterLayerInfo {
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
