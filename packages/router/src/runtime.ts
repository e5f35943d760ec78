/**
 * What the router's stacks share: the router-wide runtime (policy, binder, clock, stats) and the
 * per-server runtime (limits, counters, open responses). Plain records the Router fills in.
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { Clock, Counter, Histogram, Identifier, Random, RequestHead, Stats } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import type { ForwardedHeaderOptions } from './headers.js';
import type { ServerContext } from './server-context.js';
import type { ServicePolicy } from './service.js';
import type { RouterBinder } from './types/binding.js';

export type { ServiceEntry } from './service.js';

/** Server-level counters, `rt/<router>/server/<ip>/<port>/`. */
export interface ServerStats {
  readonly requests: Counter;
  /** `protocol/http1/requests` and `protocol/h2/requests`: requests by the client's protocol. */
  readonly http1Requests: Counter;
  readonly h2Requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  /** `status/1XX` … `status/5XX`, indexed by the first digit. */
  readonly statusClass: readonly (Counter | undefined)[];
}

/** Mutable state of one listening server. */
export interface ServerRuntime {
  readonly context: ServerContext;
  readonly maxConcurrentRequests: number;
  readonly maxRequestBodyBytes: number | undefined;
  readonly forwarded: ForwardedHeaderOptions;
  inflight: number;
  connections: number;
  /**
   * Every connection's local address and port, when the listener fixes them: the bound port
   * (0 before `listen`), and the configured `ip` unless it is a wildcard or a name (then
   * undefined). Requests take them from here rather than from the socket: Node keeps what a
   * socket was asked (`localAddress`) for the socket's life, a cost on every idle keep-alive.
   */
  localAddress: string | undefined;
  localPort: number;
  stats: ServerStats;
  /** Responses of requests in flight, so that a drain can mark them `Connection: close`. */
  readonly open: Set<ServerResponse | Http2ServerResponse>;
}

/** What the default layers need from their router. */
export interface RouterRuntime {
  readonly label: string;
  /** Mutable: `Router.reconfigure` swaps it for requests that start afterwards. */
  baseDtab: Dtab;
  baseDtabText: string;
  readonly parseDtab: (text: string) => Dtab;
  readonly binder: RouterBinder;
  readonly clock: Clock;
  readonly random: Random;
  readonly bindingTimeoutMs: number;
  readonly maxCallDepth: number;
  readonly maxErrBytes: number;
  /** `rt/<label>`. */
  readonly stats: Stats;
  /** The service policy of a logical name, resolved when its service record is created. */
  readonly servicePolicy: (dst: Path) => ServicePolicy;
  identify: Identifier<RequestHead>;
  /** True once `close()` started: new requests get 503, responses get `Connection: close`. */
  closing: boolean;
  /** Upgraded tunnels, destroyed when the router closes. */
  readonly tunnels: Set<import('node:stream').Duplex>;
}
