/**
 * The client of one bound name (Linkerd's client): its balancer, one pool per endpoint, and the
 * address set it follows. The client stack's; the shared modules see it as `BoundClient`
 * (types/client.ts), and the path stack gets one from the binding cache.
 */
import {
  type Balancer,
  type BalancerFactory,
  type Lease,
  type RequeueBudget,
  requeueBudget,
} from '@switchyard/balancers';
import type { Addr, Address, BoundName, Clock, Dispose, Gauge, Stats } from '@switchyard/core';
import { type ClientPoolOptions, createEndpoint, type Endpoint } from '../endpoint.js';
import type { BoundClient, ClientState, ClientStats } from '../types/client.js';

/** What a client needs from its router. */
export interface ClientDeps {
  readonly balancer: BalancerFactory;
  readonly pool: ClientPoolOptions;
  /** Scoped to `rt/<router>/client/<id>`. */
  readonly stats: Stats;
  readonly clock: Clock;
  /** The client's `requestAttemptTimeoutMs`. Default none. */
  readonly attemptTimeoutMs?: number | undefined;
  /** The client's requeue budget. Default `requeueBudget()`. */
  readonly requeueBudget?: RequeueBudget;
}

function endpointKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The upstream side of one bound name. Created and evicted by the router's client cache. */
export class Client implements BoundClient {
  /** The bound id, shown. */
  readonly id: string;
  readonly stats: ClientStats;
  /** Time until response headers for one attempt, ms (the client policy's `requestAttemptTimeoutMs`). */
  readonly attemptTimeoutMs: number | undefined;
  /** Budget of requeues (connection failures re-sent at once) of this client. */
  readonly requeueBudget: RequeueBudget;
  readonly #balancer: Balancer<Endpoint>;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #deps: ClientDeps;
  readonly #gauges: Gauge[] = [];
  #addr: Addr = { kind: 'pending' };
  #waiters: (() => void)[] = [];
  #dispose: Dispose | undefined;
  #closed = false;
  /** Requests using this client now (between the retry layer's first attempt and its end). */
  #active = 0;
  #onIdle: (() => void) | undefined;

  constructor(id: string, bound: BoundName, deps: ClientDeps) {
    this.id = id;
    this.#deps = deps;
    this.attemptTimeoutMs = deps.attemptTimeoutMs;
    this.requeueBudget = deps.requeueBudget ?? requeueBudget({ clock: deps.clock });
    this.#balancer = deps.balancer<Endpoint>({ stats: deps.stats });
    const s = deps.stats;
    this.stats = {
      requests: s.counter('requests'),
      success: s.counter('success'),
      failures: s.counter('failures'),
      latency: s.histogram('request_latency_ms'),
    };
    this.#gauges.push(
      s.gauge(['pending'], () => {
        let n = 0;
        for (const e of this.#endpoints.values()) n += e.pending;
        return n;
      }),
      s.gauge(['endpoints'], () => this.#endpoints.size),
    );
    this.#dispose = bound.addr.observe((addr) => this.#update(addr));
  }

  /** The current address set. `failed` after a good set keeps serving that set (stabilized). */
  get addr(): Addr {
    return this.#addr;
  }

  /** The balancer, for its `size`/`available`. */
  get balancer(): Balancer<Endpoint> {
    return this.#balancer;
  }

  /**
   * Resolves once the address set is no longer `pending`; `undefined` when it already is not
   * (the hot path allocates nothing).
   */
  whenResolved(): Promise<void> | undefined {
    if (this.#addr.kind !== 'pending') return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** A request starts its attempts on this client (the retry layer; retries and requeues included). */
  beginRequest(): void {
    this.#active++;
  }

  /** A request that {@link beginRequest began} ended; the last one wakes {@link whenIdle}. */
  endRequest(): void {
    if (--this.#active === 0 && this.#onIdle !== undefined) {
      const idle = this.#onIdle;
      this.#onIdle = undefined;
      idle();
    }
  }

  /** Requests using this client now. */
  get activeRequests(): number {
    return this.#active;
  }

  /** Calls `idle` once no request uses the client: now if none does (one waiter; a later call replaces it). */
  whenIdle(idle: () => void): void {
    if (this.#active === 0) idle();
    else this.#onIdle = idle;
  }

  /** Picks an endpoint; `undefined` when the set is empty. */
  pick(): Lease<Endpoint> | undefined {
    return this.#balancer.pick();
  }

  /** Snapshot for the admin. */
  state(): ClientState {
    const endpoints = [...this.#endpoints.values()].map((e) => ({
      host: e.host,
      port: e.port,
      weight: e.weight,
      pending: e.pending,
      state: this.#balancer.endpointState?.(e.key) ?? 'alive',
      meta: e.meta,
    }));
    return {
      id: this.id,
      addr: this.#addr.kind,
      balancer: { size: this.#balancer.size, available: this.#balancer.available },
      endpoints,
    };
  }

  #update(addr: Addr): void {
    if (this.#closed) return;
    // Stabilize: a namer failure after a good set keeps the good set (STYLE item 4).
    if (addr.kind === 'failed' && this.#addr.kind === 'bound') return;
    this.#addr = addr;
    if (addr.kind === 'bound') this.#setAddresses(addr.addresses);
    else if (addr.kind === 'neg') this.#setAddresses([]);
    if (addr.kind !== 'pending' && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }

  #setAddresses(addresses: readonly Address[]): void {
    const next = new Map<string, Address>();
    for (const a of addresses) next.set(endpointKey(a.host, a.port), a);
    let changed = next.size !== this.#endpoints.size;
    for (const [key, endpoint] of this.#endpoints) {
      const a = next.get(key);
      if (a === undefined) {
        this.#endpoints.delete(key);
        this.#retire(endpoint);
        changed = true;
      } else if ((a.weight ?? 1) !== endpoint.weight || a.meta !== endpoint.meta) {
        // Weight or metadata changed: update in place so leases in flight see the same record.
        endpoint.weight = a.weight ?? 1;
        endpoint.meta = a.meta;
        changed = true;
      }
    }
    for (const [key, a] of next) {
      if (this.#endpoints.has(key)) continue;
      this.#endpoints.set(key, createEndpoint(key, a, this.#deps.pool, this.#deps.stats));
      changed = true;
    }
    if (changed) this.#balancer.update([...this.#endpoints.values()]);
  }

  /** Graceful: requests in flight on the pool complete, then its connections close. */
  #retire(endpoint: Endpoint): void {
    endpoint.pool.close().catch(() => {});
    endpoint.h2?.close().catch(() => {});
  }

  /**
   * Stops watching the address set and closes every pool. With `force` in-flight requests are
   * aborted; otherwise they finish first.
   */
  async close(force = false): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#dispose?.();
    this.#dispose = undefined;
    for (const g of this.#gauges) g.dispose();
    this.#balancer.close();
    const endpoints = [...this.#endpoints.values()];
    this.#endpoints.clear();
    for (const w of this.#waiters) w();
    this.#waiters = [];
    for (const e of endpoints) if (force) e.h2?.destroy();
    await Promise.all([
      ...endpoints.map((e) => (force ? e.pool.destroy() : e.pool.close()).catch(() => {})),
      ...endpoints.map((e) => (force ? undefined : e.h2?.close())),
    ]);
  }
}
