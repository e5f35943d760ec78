/**
 * The JSON documents the dashboard page reads, as types shared by the server that builds them
 * (feed.ts, routes/) and the page's script (client/): `/admin/dashboard.json`, one document per
 * poll with everything on screen, and the dtab store's `/admin/dtab-store.json` rows. Types only,
 * so the client bundle imports nothing that runs on the server.
 */
import type {
  AcmeCertificateView,
  AdminClientView,
  AdminIngressRuleView,
  AdminServerView,
  CertificateView,
} from '../views.js';

/** Event-loop delay in milliseconds, over the monitor's lifetime or since the last `reset`. */
export interface EventLoopLag {
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** A point-in-time view of the process. Bytes for memory, ms for times. */
export interface ProcessInfo {
  readonly pid: number;
  readonly node: string;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly eventLoopLag: EventLoopLag;
}

/** Latency percentiles in ms (from the `request_latency_ms` histogram). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Cumulative request counters; the page derives rates and success rate from their deltas. */
export interface RequestTotals {
  readonly requests: number;
  readonly success: number;
  readonly failures: number;
  readonly latency?: LatencySummary;
}

/** A server row: the view plus its counters. */
export type ServerFeed = AdminServerView &
  RequestTotals & { readonly name: string; readonly connections: number };
/** A logical-name row (`rt/<r>/service/<svc>`). */
export type ServiceFeed = RequestTotals & { readonly name: string };
/** A client row: the view plus its counters. */
export type ClientFeed = AdminClientView & RequestTotals;

/**
 * A dtab override row (`rt/<router>/dtab_overrides/<name>/applied`): a configured override by its
 * label, or `signed` for the signed-cookie override, with the requests it changed so far.
 */
export interface OverrideFeed {
  readonly name: string;
  readonly applied: number;
}

/** A router's shared dtab store as the dashboard shows it (`null`s while nothing is stored). */
export interface DtabStoreFeed {
  readonly kind: string;
  readonly name: string;
  readonly version: string | null;
  readonly dtab: string | null;
}

/** Everything the dashboard shows for one router. */
export interface RouterFeed extends RequestTotals {
  readonly label: string;
  readonly dtab: string;
  readonly servers: readonly ServerFeed[];
  readonly services: readonly ServiceFeed[];
  readonly clients: readonly ClientFeed[];
  readonly ingress: readonly AdminIngressRuleView[];
  readonly overrides: readonly OverrideFeed[];
  /** Present when the router has a shared dtab store. */
  readonly dtabStore?: DtabStoreFeed;
}

/** The whole `/admin/dashboard.json` document. */
export interface DashboardFeed {
  /** Wall-clock ms of this snapshot. */
  readonly time: number;
  readonly process: ProcessInfo;
  readonly readiness: readonly { readonly name: string; readonly ready: boolean }[];
  readonly routers: readonly RouterFeed[];
  readonly certificates: readonly CertificateView[];
  /** Names whose certificates ACME manages. */
  readonly acme: readonly AcmeCertificateView[];
  /**
   * The control routes that exist (empty while control is disabled): the page shows a form only
   * when its route is here, and only after the operator's token was accepted.
   */
  readonly control: readonly string[];
  /**
   * Present when the admin answers for a pod of worker processes (`--workers N`): each worker's
   * load. The routers' counters are then the pod's (every worker's metrics merged).
   */
  readonly workers?: readonly WorkerFeed[];
}

/**
 * One worker of a pod (`--workers N`) as the pod's admin sees it. Load figures are absent when the
 * worker did not answer (starting, draining, or too slow): the page shows a dash, not a zero.
 */
export interface WorkerFeed extends Partial<RequestTotals> {
  /** Stable position 1..N; a restarted worker takes its predecessor's slot. */
  readonly slot: number;
  readonly pid?: number;
  /** `unresponsive`: ready, but did not answer the primary in time. */
  readonly state: 'starting' | 'ready' | 'draining' | 'unresponsive';
  /** How many times this slot's worker was replaced after exiting. */
  readonly restarts: number;
  /** Open connections on the worker's router servers now. */
  readonly connections?: number;
  /** Requests in flight on the worker's router servers now. */
  readonly inFlight?: number;
  readonly rssBytes?: number;
  /** CPU time the worker used since it started (user + system), ms. */
  readonly cpuMs?: number;
}

/** One router's store in `/admin/dtab-store.json` and in 409 answers. */
export type DtabStoreDocument = DtabStoreFeed & { readonly router: string };
