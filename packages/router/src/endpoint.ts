/**
 * One endpoint of a client: the address as the balancer sees it, with its connection pools (an
 * undici `Pool`, and an `H2Pool` when the client speaks HTTP/2 to it) and its counters.
 */
import type { ConnectionOptions } from 'node:tls';
import type { BalancerEndpoint } from '@switchyard/balancers';
import type { Address, Counter, Stats } from '@switchyard/core';
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

/**
 * The Kubernetes `appProtocol` of a Service port that speaks HTTP/2 with prior knowledge (KEP-3726).
 * An address whose meta carries it under `appProtocol` is dialled with h2c unless the client's
 * `protocol` is set.
 */
export const H2C_APP_PROTOCOL = 'kubernetes.io/h2c';

/** A new endpoint for address `a` (key `host:port`) with the client's pool options; counters under `stats/endpoint/<key>`. */
export function createEndpoint(key: string, a: Address, p: ClientPoolOptions, stats: Stats): Endpoint {
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
  const s = stats.scope('endpoint', key);
  const protocol = p.protocol ?? (a.meta.appProtocol === H2C_APP_PROTOCOL ? 'h2c' : 'http/1.1');
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
