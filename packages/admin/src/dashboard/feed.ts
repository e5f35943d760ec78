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
  AdminDtabStoreView,
  AdminRouterView,
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
  RouterFeed,
  ServerFeed,
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

/** Builds the dashboard document from a metrics snapshot and the router views. */
export function buildDashboardFeed(input: DashboardFeedInput): DashboardFeed {
  const routers = input.routers.map((view): RouterFeed => {
    const total = empty();
    const servers = new Map<string, Acc>();
    const connections = new Map<string, number>();
    const services = new Map<string, Acc>();
    const clients = new Map<string, Acc>();
    const overrides: OverrideFeed[] = [];
    for (const s of input.samples) {
      const n = s.name;
      if (n[0] !== 'rt' || n[1] !== view.label || n.length < 5) continue;
      const stat = n[n.length - 1] as string;
      if (n[2] === 'dtab_overrides') {
        // `dtab_overrides/<name>/applied`; the rejection counters are longer and not rows.
        if (n.length === 5 && stat === 'applied' && s.kind === 'counter')
          overrides.push({ name: n[3] as string, applied: s.value });
      } else if (n[2] === 'server') {
        // `server/<ip/port>/<stat>` (finagle's one segment) or `server/<ip>/<port>/<stat>`.
        const oneSegment = (n[3] as string).includes('/');
        const key = oneSegment ? (n[3] as string) : `${n[3]}/${n[4]}`;
        if (n.length !== (oneSegment ? 5 : 6)) continue;
        if (stat === 'connections' && s.kind !== 'histogram') connections.set(key, s.value);
        add(bucket(servers, key), stat, s);
        add(total, stat, s);
      } else if (n[2] === 'service' && n.length === 5) {
        add(bucket(services, n[3] as string), stat, s);
      } else if (n[2] === 'client' && n.length === 5) {
        add(bucket(clients, n[3] as string), stat, s);
      }
    }
    const serverRows = view.servers().map((sv): ServerFeed => {
      const name = serverName(sv.ip, sv.port);
      const acc = servers.get(name) ?? empty();
      return { ...sv, ...acc, name, connections: sv.connections ?? connections.get(name) ?? 0 };
    });
    const clientRows = view.clients().map((c): ClientFeed => {
      const acc = clients.get(c.id.replace(/^\//, '')) ?? clients.get(c.id) ?? empty();
      return { ...c, ...acc };
    });
    return {
      label: view.label,
      ...total,
      dtab: input.showDtab(view),
      servers: serverRows,
      services: [...services].map(([name, acc]) => ({ name: `/${name.replace(/^\//, '')}`, ...acc })),
      clients: clientRows,
      ingress: view.ingressRules?.() ?? [],
      overrides,
      ...(view.dtabStore === undefined ? {} : { dtabStore: dtabStoreState(view.dtabStore) }),
    };
  });
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
