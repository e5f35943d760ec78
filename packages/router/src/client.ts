/**
 * A client is what a bound name (e.g. `/$/inet/127.0.0.1/8080` or `/#/io.l5d.fs/web`) turns into:
 * one balancer over the name's live address set, with one undici `Pool` per endpoint. Linkerd
 * keeps one per bound id in its `clients` cache; so do we. Endpoints that leave the set are
 * removed from the balancer at once and their pool is closed gracefully (in-flight requests
 * finish), so a rolling update costs no failed requests.
 */

import type { ConnectionOptions } from 'node:tls';
import type {
  Balancer,
  BalancerEndpoint,
  BalancerFactory,
  EndpointHealth,
  Lease,
} from '@switchyard/balancers';
import type {
  Addr,
  Address,
  BoundName,
  Clock,
  Counter,
  Dispose,
  Gauge,
  Histogram,
  Stats,
} from '@switchyard/core';
import { Pool } from 'undici';
import { H2Pool } from './h2/pool.js';

/** Connection-pool settings for every endpoint (Linkerd's `hostConnectionPool` and `clientSession`). */
export interface ClientPoolOptions {
  /** Most connections per endpoint. Default 256. */
  readonly maxConnections?: number;
  /** Idle keep-alive time of an upstream connection, ms. Default 4000 (below node's 5 s server default). */
  readonly keepAliveTimeoutMs?: number;
  /** Time to establish a TCP connection, ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Time from request written to response headers, ms (0 disables). Default 300000. */
  readonly headersTimeoutMs?: number;
  /** Longest silence while reading a response body, ms (0 disables). Default 300000. */
  readonly bodyTimeoutMs?: number;
  /**
   * Speak TLS to endpoints with these `tls.connect` options (e.g. from `@switchyard/tls`'s
   * `clientTlsOptions`: `servername`, `ca`, `checkServerIdentity`, client `cert`/`key`).
   * Default: plain HTTP.
   */
  readonly tls?: ConnectionOptions;
  /**
   * Protocol to endpoints: `http/1.1` (default, undici), `h2c` (HTTP/2 with prior knowledge) or
   * `h2` (HTTP/2 over TLS by ALPN; requires `tls`), both on a multiplexing `H2Pool` (node:http2).
   */
  readonly protocol?: ClientProtocol;
}

/** Protocols a client speaks to its endpoints. */
export type ClientProtocol = 'http/1.1' | 'h2c' | 'h2';

/** Per-endpoint counters, under `rt/<router>/client/<id>/endpoint/<host:port>/`. */
export interface EndpointStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
}

/** One concrete address of a client, as the balancer sees it. */
export interface Endpoint extends BalancerEndpoint {
  /** `host:port` (IPv6 hosts bracketed). */
  readonly key: string;
  /** Mutable: a weight change from the namer updates the record in place. */
  weight: number;
  readonly host: string;
  readonly port: number;
  meta: Readonly<Record<string, unknown>>;
  readonly pool: Pool;
  /** The HTTP/2 pool when the client's protocol is `h2c` or `h2` (requests go there, not to `pool`). */
  readonly h2: H2Pool | undefined;
  /** TLS server name (SNI) sent to the endpoint: the configured `tls.servername`, if any. */
  readonly servername: string | undefined;
  /** TLS options of connections to the endpoint (the client's `tls`); undefined for plain HTTP. */
  readonly tls: ConnectionOptions | undefined;
  /** Requests dispatched to this endpoint and not yet finished. */
  pending: number;
  readonly stats: EndpointStats;
}

/** Client-level counters, under `rt/<router>/client/<id>/`. */
export interface ClientStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
}

/** A snapshot of one client, for the admin dashboard. */
export interface ClientState {
  /** The bound id, shown (e.g. `/$/inet/127.0.0.1/8080`). */
  readonly id: string;
  /** Kind of the current address set (`bound` also when it is empty). */
  readonly addr: Addr['kind'];
  readonly balancer: { readonly size: number; readonly available: number };
  readonly endpoints: readonly {
    readonly host: string;
    readonly port: number;
    readonly weight: number;
    readonly pending: number;
    /** Failure-accrual health, when the balancer tracks it (default `alive`). */
    readonly state: EndpointHealth;
    readonly meta: Readonly<Record<string, unknown>>;
  }[];
}

/** What a client needs from its router. */
export interface ClientDeps {
  readonly balancer: BalancerFactory;
  readonly pool: ClientPoolOptions;
  /** Scoped to `rt/<router>/client/<id>`. */
  readonly stats: Stats;
  readonly clock: Clock;
}

function endpointKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The upstream side of one bound name. Created and evicted by the router's client cache. */
export class Client {
  /** The bound id, shown. */
  readonly id: string;
  readonly stats: ClientStats;
  readonly #balancer: Balancer<Endpoint>;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #deps: ClientDeps;
  readonly #gauges: Gauge[] = [];
  #addr: Addr = { kind: 'pending' };
  #waiters: (() => void)[] = [];
  #dispose: Dispose | undefined;
  #closed = false;

  constructor(id: string, bound: BoundName, deps: ClientDeps) {
    this.id = id;
    this.#deps = deps;
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
      this.#endpoints.set(key, this.#createEndpoint(key, a));
      changed = true;
    }
    if (changed) this.#balancer.update([...this.#endpoints.values()]);
  }

  #createEndpoint(key: string, a: Address): Endpoint {
    const p = this.#deps.pool;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    const pool = new Pool(`${p.tls ? 'https' : 'http'}://${host}:${a.port}`, {
      ...(p.tls ? { connect: p.tls } : {}),
      connections: p.maxConnections ?? 256,
      pipelining: 1,
      keepAliveTimeout: p.keepAliveTimeoutMs ?? 4000,
      connectTimeout: p.connectTimeoutMs ?? 10_000,
      headersTimeout: p.headersTimeoutMs ?? 300_000,
      bodyTimeout: p.bodyTimeoutMs ?? 300_000,
    });
    // A pool emits 'error' only for faults outside a request; those surface through requests.
    pool.on('connectionError', () => {});
    const s = this.#deps.stats.scope('endpoint', key);
    const protocol = p.protocol ?? 'http/1.1';
    const h2 =
      protocol === 'http/1.1'
        ? undefined
        : new H2Pool({
            authority: `${protocol === 'h2' ? 'https' : 'http'}://${host}:${a.port}`,
            ...(protocol === 'h2' && p.tls ? { tls: p.tls } : {}),
            connectTimeoutMs: p.connectTimeoutMs ?? 10_000,
            idleTimeoutMs: p.keepAliveTimeoutMs ?? 60_000,
            stats: s,
          });
    return {
      key,
      weight: a.weight ?? 1,
      host: a.host,
      port: a.port,
      meta: a.meta,
      pool,
      h2,
      servername: p.tls?.servername,
      tls: p.tls,
      pending: 0,
      stats: {
        requests: s.counter('requests'),
        success: s.counter('success'),
        failures: s.counter('failures'),
      },
    };
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
