/**
 * Builds `/admin/dashboard.json` (document.ts) from a metrics snapshot and the router views: the
 * page makes one request every two seconds and computes rates from counter deltas. Aggregation
 * follows the Linkerd stat scopes `rt/<router>/{server,service,client}/…`.
 */
import type { MetricSample } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { safeReady } from '../readiness.js';
import type {
  AcmeCertificateView,
  AdminClientView,
  AdminDtabStoreView,
  AdminIngressRuleView,
  AdminRouterView,
  AdminServerView,
  AdminStoredDtab,
  CertificateView,
  ReadinessSource,
} from '../views.js';
import type {
  ClientFeed,
  DashboardFeed,
  DtabStoreFeed,
  LatencySummary,
  OverrideFeed,
  ProcessInfo,
  RequestTotals,
  RouterFeed,
  ServerFeed,
  WorkerFeed,
} from './document.js';

type Acc = { requests: number; success: number; failures: number; latency?: LatencySummary };

function add(acc: Acc, stat: string, s: MetricSample): void {
  if (s.kind === 'histogram') {
    // Several servers: keep the busiest one's percentiles (percentiles do not add up).
    if (stat === 'request_latency_ms' && (acc.latency === undefined || s.count > acc.latency.count)) {
      acc.latency = {
        count: s.count,
        p50: s.p50,
        p90: s.p90,
        p95: s.p95,
        p99: s.p99,
        p999: s.p999,
        max: s.max,
      };
    }
    return;
  }
  if (stat === 'requests') acc.requests += s.value;
  else if (stat === 'success') acc.success += s.value;
  else if (stat === 'failures') acc.failures += s.value;
}

const empty = (): Acc => ({ requests: 0, success: 0, failures: 0 });

function bucket(map: Map<string, Acc>, key: string): Acc {
  let acc = map.get(key);
  if (acc === undefined) {
    acc = empty();
    map.set(key, acc);
  }
  return acc;
}

/** Inputs of {@link buildDashboardFeed}. */
export interface DashboardFeedInput {
  readonly time: number;
  readonly samples: readonly MetricSample[];
  readonly routers: readonly AdminRouterView[];
  readonly readiness: readonly ReadinessSource[];
  readonly certificates: readonly CertificateView[];
  readonly acme: readonly AcmeCertificateView[];
  readonly control: readonly string[];
  readonly process: ProcessInfo;
  readonly showDtab: (router: AdminRouterView) => string;
}

const serverName = (ip: string, port: number) => `${ip}/${port}`;

/** One router's counters from a metrics snapshot, by row. */
interface RouterCounters {
  readonly total: Acc;
  readonly servers: Map<string, Acc>;
  readonly connections: Map<string, number>;
  readonly services: Map<string, Acc>;
  readonly clients: Map<string, Acc>;
  readonly overrides: OverrideFeed[];
}

function routerCounters(samples: readonly MetricSample[], label: string): RouterCounters {
  const c: RouterCounters = {
    total: empty(),
    servers: new Map(),
    connections: new Map(),
    services: new Map(),
    clients: new Map(),
    overrides: [],
  };
  for (const s of samples) {
    const n = s.name;
    if (n[0] !== 'rt' || n[1] !== label || n.length < 5) continue;
    const stat = n[n.length - 1] as string;
    if (n[2] === 'dtab_overrides') {
      // `dtab_overrides/<name>/applied`; the rejection counters are longer and not rows.
      if (n.length === 5 && stat === 'applied' && s.kind === 'counter')
        c.overrides.push({ name: n[3] as string, applied: s.value });
    } else if (n[2] === 'server') {
      // `server/<ip/port>/<stat>` (finagle's one segment) or `server/<ip>/<port>/<stat>`.
      const oneSegment = (n[3] as string).includes('/');
      const key = oneSegment ? (n[3] as string) : `${n[3]}/${n[4]}`;
      if (n.length !== (oneSegment ? 5 : 6)) continue;
      if (stat === 'connections' && s.kind !== 'histogram') c.connections.set(key, s.value);
      add(bucket(c.servers, key), stat, s);
      add(c.total, stat, s);
    } else if (n[2] === 'service' && n.length === 5) {
      add(bucket(c.services, n[3] as string), stat, s);
    } else if (n[2] === 'client' && n.length === 5) {
      add(bucket(c.clients, n[3] as string), stat, s);
    }
  }
  return c;
}

/** `row` (view fields) with the counters of `acc` in place of any it carried. */
function withTotals<T extends object>(row: T, acc: Acc): Omit<T, keyof Acc> & RequestTotals {
  const { requests: _r, success: _s, failures: _f, latency: _l, ...view } = row as T & Partial<Acc>;
  return { ...view, ...acc };
}

/** What a router row shows besides its counters. */
interface RouterParts {
  readonly label: string;
  readonly dtab: string;
  readonly servers: readonly AdminServerView[];
  readonly clients: readonly AdminClientView[];
  readonly ingress: readonly AdminIngressRuleView[];
  readonly dtabStore: DtabStoreFeed | undefined;
}

/**
 * A router's row: `parts` with the counters of `samples`. A server's open connections come from
 * its view when `viewConnections` and the view has them, else from the `connections` gauge.
 */
function routerFeed(
  parts: RouterParts,
  samples: readonly MetricSample[],
  viewConnections: boolean,
): RouterFeed {
  const c = routerCounters(samples, parts.label);
  const servers = parts.servers.map((sv): ServerFeed => {
    const name = serverName(sv.ip, sv.port);
    const open = (viewConnections ? sv.connections : undefined) ?? c.connections.get(name) ?? 0;
    return { ...withTotals(sv, c.servers.get(name) ?? empty()), name, connections: open };
  });
  const clients = parts.clients.map(
    (cl): ClientFeed =>
      withTotals(cl, c.clients.get(cl.id.replace(/^\//, '')) ?? c.clients.get(cl.id) ?? empty()),
  );
  return {
    label: parts.label,
    ...c.total,
    dtab: parts.dtab,
    servers,
    services: [...c.services].map(([name, acc]) => ({ name: `/${name.replace(/^\//, '')}`, ...acc })),
    clients,
    ingress: parts.ingress,
    overrides: c.overrides,
    ...(parts.dtabStore === undefined ? {} : { dtabStore: parts.dtabStore }),
  };
}

/** Builds the dashboard document from a metrics snapshot and the router views. */
export function buildDashboardFeed(input: DashboardFeedInput): DashboardFeed {
  const routers = input.routers.map(
    (view): RouterFeed =>
      routerFeed(
        {
          label: view.label,
          dtab: input.showDtab(view),
          servers: view.servers(),
          clients: view.clients(),
          ingress: view.ingressRules?.() ?? [],
          dtabStore: view.dtabStore === undefined ? undefined : dtabStoreState(view.dtabStore),
        },
        input.samples,
        true,
      ),
  );
  return {
    time: input.time,
    process: input.process,
    readiness: input.readiness.map((r) => ({ name: r.name, ready: safeReady(r) })),
    routers,
    certificates: input.certificates,
    acme: input.acme,
    control: input.control,
  };
}

/**
 * The dashboard of a pod of workers (`--workers N`): `feed` is one worker's document (its views:
 * servers, clients and endpoints, dtab, ingress table, store, certificates); every counter in it
 * is recomputed from `samples`, the pod's merged metrics, and `workers` lists each worker's load.
 * The process figures stay the answering worker's.
 */
export function podDashboardFeed(
  feed: DashboardFeed,
  samples: readonly MetricSample[],
  workers: readonly WorkerFeed[],
): DashboardFeed {
  const routers = feed.routers.map(
    (r): RouterFeed =>
      routerFeed(
        {
          label: r.label,
          dtab: r.dtab,
          // The rows' own connection counts are the answering worker's: the pod's come from
          // the merged gauge.
          servers: r.servers.map(({ name: _n, connections: _c, ...sv }) => sv),
          clients: r.clients,
          ingress: r.ingress,
          dtabStore: r.dtabStore,
        },
        samples,
        false,
      ),
  );
  return { ...feed, routers, workers };
}

/** The load leaves of a router server (`rt/<router>/server/<ip>/<port>/<leaf>`) {@link serverLoad} sums. */
const LOAD_LEAVES = new Set(['requests', 'success', 'failures', 'connections', 'pending']);

/**
 * One process's load over every router server in `samples`: cumulative requests, successes and
 * failures, and the connections and requests in flight (`pending`) now. A worker's row of
 * {@link WorkerFeed} is this plus what the primary knows of the worker.
 */
export function serverLoad(
  samples: readonly MetricSample[],
): RequestTotals & { readonly connections: number; readonly inFlight: number } {
  const sums = { requests: 0, success: 0, failures: 0, connections: 0, pending: 0 };
  for (const s of samples) {
    const n = s.name;
    if (s.kind === 'histogram' || n[0] !== 'rt' || n[2] !== 'server') continue;
    const leaf = n[n.length - 1] as keyof typeof sums;
    const oneSegment = typeof n[3] === 'string' && n[3].includes('/');
    if (n.length !== (oneSegment ? 5 : 6) || !LOAD_LEAVES.has(leaf)) continue;
    sums[leaf] += s.value;
  }
  const { pending, ...rest } = sums;
  return { ...rest, inFlight: pending };
}

/** A store's state now, or `stored` (just written) when given. */
export function dtabStoreState(store: AdminDtabStoreView, stored?: AdminStoredDtab): DtabStoreFeed {
  const now = stored ?? store.current();
  return {
    kind: store.kind,
    name: store.name,
    version: now?.version ?? null,
    dtab: now === undefined ? null : Dtab.show(now.dtab),
  };
}
