/**
 * `io.l5d.k8s`: resolves `/<namespace>/<port>/<service>[/<labelValue>]` to the pods behind a
 * Kubernetes Service, following them as they come and go. Unlike Linkerd 1 it reads
 * EndpointSlices (ready/terminating conditions, several slices per Service, dual stack), talks to
 * the API server directly (no `kubectl proxy`), and never serves a deleted Service: the informer
 * underneath relists after a 410 and emits the difference.
 *
 * Watches are shared per namespace and resource (one Service informer and one EndpointSlice
 * informer per namespace, however many names are bound there) and run only while some lookup or
 * address set of that namespace is observed — or, with `allNamespaces`, one cluster-wide pair
 * runs for the namer's whole life, so a namespace's first lookup needs no list.
 */
import type { ActivityState, Clock, Dispose, Namer, Stats, Var as VarType } from '@switchyard/core';
import { Activity, Addr, Name, Var } from '@switchyard/core';
import { NameTree, Path } from '@switchyard/dtab';
import {
  autoConfig,
  backoffDelay,
  createKubeClient,
  ENDPOINT_SLICE_V1,
  ENDPOINTS_V1,
  type EndpointSlice,
  type Endpoints,
  type InformerLease,
  KubeApiError,
  type KubeClient,
  type KubeConnectionConfig,
  SERVICE_V1,
  type Service,
  type SharedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import {
  type AddressFamily,
  addressesKey,
  endpointsAddresses,
  resolveServicePort,
  SERVICE_NAME_LABEL,
  sliceAddresses,
} from './endpoints.js';
import { K8sNamerConfigError, K8sNamerConnectError } from './errors.js';

/** The Linkerd kind of {@link createK8sNamer}. */
export const K8S_KIND = 'io.l5d.k8s';

/** Where endpoints are read from. `auto` uses EndpointSlices unless the API answers 404 for them. */
export type K8sDiscovery = 'auto' | 'endpointSlices' | 'endpoints';

/** Options of {@link createK8sNamer}. Connection: `client`, else `config`, else `host`/`port`, else auto. */
export interface K8sNamerOptions {
  /** A client to use (shared with other consumers). */
  readonly client?: KubeClient;
  /** A connection config to build a client from. */
  readonly config?: KubeConnectionConfig;
  /** Linkerd 1's `host`: a plain-HTTP API endpoint such as `kubectl proxy`. Port default 8001. */
  readonly host?: string;
  readonly port?: number;
  /** Informers to share with other consumers (e.g. the ingress identifier). Default: the namer's own. */
  readonly informers?: SharedInformers;
  /**
   * A Service label key. When set, paths have a fourth segment, the label value, and only a
   * Service carrying `<labelSelector>=<value>` resolves (Linkerd 1's `labelSelector`).
   */
  readonly labelSelector?: string;
  /** Mount prefix without `#`; bound ids are `/#<prefix>/…`. Default `/io.l5d.k8s`. */
  readonly prefix?: string | Path;
  /** Default `auto`. */
  readonly discovery?: K8sDiscovery;
  /**
   * Watch Services and EndpointSlices of every namespace with one list+watch each, from creation
   * until `close()` (as ingress-nginx does), instead of one pair per namespace started at its
   * first lookup (Linkerd 1's way). A new namespace's first route then needs no list round trip;
   * the cost is memory for every Service and EndpointSlice of the cluster, and RBAC to list and
   * watch them cluster-wide. Default false.
   */
  readonly allNamespaces?: boolean;
  /** Family preference for dual-stack Services; a pod appears once. Default `['IPv4', 'IPv6']`. */
  readonly addressFamilies?: readonly AddressFamily[];
  /** Counters `lookups`, `updates`. */
  readonly stats?: Stats;
  readonly clock?: Clock;
}

/** What the namer is watching, for the admin `namer_state` view. */
export interface K8sNamerState {
  readonly prefix: string;
  readonly discovery: 'unknown' | 'endpointSlices' | 'endpoints';
  /** True with the `allNamespaces` option: one set of watches for every namespace. */
  readonly allNamespaces: boolean;
  /** With `allNamespaces`: whether the cluster-wide lists are done, and their last error. */
  readonly synced?: boolean;
  readonly error?: string;
  readonly namespaces: readonly { namespace: string; synced: boolean; observers: number; error?: string }[];
}

/** The `io.l5d.k8s` namer. */
export interface K8sNamer extends Namer {
  readonly kind: typeof K8S_KIND;
  readonly prefix: Path;
  state(): K8sNamerState;
  /** Stops every watch and closes a client the namer created. Idempotent. */
  close(): void;
}

interface Connection {
  readonly client: KubeClient;
  readonly informers: SharedInformers;
  readonly mode: 'endpointSlices' | 'endpoints';
}

/**
 * One set of list+watches: Services plus EndpointSlices (or core Endpoints) of one namespace, or
 * of every namespace (`namespace` undefined, the `allNamespaces` option).
 */
interface WatchSet {
  /** `undefined`: all namespaces. */
  readonly namespace: string | undefined;
  synced: boolean;
  error: Error | undefined;
  services: InformerLease<Service> | undefined;
  slices: InformerLease<EndpointSlice> | undefined;
  endpoints: InformerLease<Endpoints> | undefined;
  mode: 'endpointSlices' | 'endpoints' | undefined;
  /** Slices by namespace, service name, then slice name. */
  readonly slicesByNs: Map<string, Map<string, Map<string, EndpointSlice>>>;
  stopped: boolean;
}

/** The observers of one namespace, and the watch set that serves it. */
interface NamespaceWatch {
  readonly namespace: string;
  readonly set: WatchSet;
  refs: number;
  /** Listeners by service name. */
  readonly listeners: Map<string, Set<() => void>>;
}

const NEG_STATE: ActivityState<NameTree<Name>> = Activity.ok<NameTree<Name>>(NameTree.neg);
const NEG_ACTIVITY = Activity.value<NameTree<Name>>(NameTree.neg);

/**
 * Builds `io.l5d.k8s`. Lookup of `/<ns>/<port>/<svc>[/<labelValue>][/residual…]` (the first
 * segments lower-cased, as Linkerd 1 does) is `pending` until the namespace's Services and
 * endpoints are listed, then `neg` for an unknown Service or port (so a dtab `|` falls through),
 * else a bound name whose Addr is the serving endpoints (possibly none: the router answers 502).
 * With `allNamespaces` the watches of every namespace start at once and run until `close()`.
 * @throws {K8sNamerConfigError} on a bad `prefix`, `port` or `labelSelector`.
 */
export function createK8sNamer(options: K8sNamerOptions = {}): K8sNamer {
  let prefix: Path;
  try {
    prefix = typeof options.prefix === 'string' ? Path.read(options.prefix) : (options.prefix ?? [K8S_KIND]);
  } catch (err) {
    throw new K8sNamerConfigError(`prefix: ${(err as Error).message}`, { cause: err });
  }
  if (prefix[0] === '#') prefix = prefix.slice(1);
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)
  ) {
    throw new K8sNamerConfigError(`port must be 1–65535, got ${options.port}`);
  }
  if (options.labelSelector === '') throw new K8sNamerConfigError('labelSelector must not be empty');
  const idPrefix: Path = Object.freeze(['#', ...prefix]);
  const labelKey = options.labelSelector;
  const families = options.addressFamilies ?? ['IPv4', 'IPv6'];
  const lookups = options.stats?.counter('lookups');
  const updates = options.stats?.counter('updates');
  let discovered: 'unknown' | 'endpointSlices' | 'endpoints' = 'unknown';
  let ownedClient: KubeClient | undefined;
  let closed = false;

  let clientReady: Promise<{ client: KubeClient; informers: SharedInformers }> | undefined;
  /** The client and informers, without waiting for discovery. */
  function client(): Promise<{ client: KubeClient; informers: SharedInformers }> {
    clientReady ??= (async () => {
      let client = options.client;
      if (client === undefined) {
        let config = options.config;
        if (config === undefined && options.host !== undefined) {
          config = urlConfig(`http://${options.host}:${options.port ?? 8001}`);
        }
        if (config === undefined) {
          try {
            config = await autoConfig();
          } catch (cause) {
            throw new K8sNamerConnectError({ cause });
          }
        }
        ownedClient = createKubeClient(config, options.clock ? { clock: options.clock } : {});
        client = ownedClient;
      }
      return { client, informers: options.informers ?? sharedInformers(client) };
    })();
    return clientReady;
  }

  let connection: Promise<Connection> | undefined;
  function connect(): Promise<Connection> {
    connection ??= (async () => {
      const c = await client();
      const mode = await discover(c.client);
      discovered = mode;
      return { ...c, mode };
    })();
    return connection;
  }

  /** EndpointSlices unless the API server does not serve them (404); retried on other errors. */
  async function discover(client: KubeClient): Promise<'endpointSlices' | 'endpoints'> {
    const d = options.discovery ?? 'auto';
    if (d !== 'auto') return d;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.list(ENDPOINT_SLICE_V1, { limit: 1 });
        return 'endpointSlices';
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return 'endpoints';
        // 403 (no cluster-wide list) still proves the API exists.
        if (err instanceof KubeApiError && err.status === 403) return 'endpointSlices';
        if (closed) return 'endpointSlices';
        const ms = backoffDelay(attempt, client.random);
        await new Promise<void>((resolve) => client.clock.setTimeout(resolve, ms));
      }
    }
  }

  const watches = new Map<string, NamespaceWatch>();

  /** Runs the listeners of `svc` in namespace `ns`; `undefined` means every one of the set's. */
  function notify(set: WatchSet, ns: string | undefined, svc: string | undefined): void {
    const targets = ns === undefined ? [...watches.values()].filter((w) => w.set === set) : [watches.get(ns)];
    for (const w of targets) {
      if (w === undefined || w.set !== set) continue;
      if (svc === undefined) {
        for (const listeners of [...w.listeners.values()]) for (const f of [...listeners]) f();
        continue;
      }
      const listeners = w.listeners.get(svc);
      if (listeners) for (const f of [...listeners]) f();
    }
  }

  /** The informer selector of a set: its namespace, or none (all namespaces). */
  function selectorOf(set: WatchSet): { namespace?: string } {
    return set.namespace === undefined ? {} : { namespace: set.namespace };
  }

  function watchServices(set: WatchSet, informers: SharedInformers): InformerLease<Service> {
    const services = informers.acquire(SERVICE_V1, selectorOf(set));
    set.services = services;
    services.subscribe((e) => {
      if (e.kind !== 'synced') notify(set, e.object.metadata.namespace ?? '', e.object.metadata.name);
    });
    return services;
  }

  function watchSlices(set: WatchSet, informers: SharedInformers): InformerLease<EndpointSlice> {
    const slices = informers.acquire(ENDPOINT_SLICE_V1, selectorOf(set));
    set.slices = slices;
    const put = (s: EndpointSlice) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc === undefined) return;
      const ns = s.metadata.namespace ?? '';
      let bySvc = set.slicesByNs.get(ns);
      if (!bySvc) {
        bySvc = new Map();
        set.slicesByNs.set(ns, bySvc);
      }
      let m = bySvc.get(svc);
      if (!m) {
        m = new Map();
        bySvc.set(svc, m);
      }
      m.set(s.metadata.name ?? '', s);
      notify(set, ns, svc);
    };
    const drop = (s: EndpointSlice) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc === undefined) return;
      const ns = s.metadata.namespace ?? '';
      const bySvc = set.slicesByNs.get(ns);
      const m = bySvc?.get(svc);
      m?.delete(s.metadata.name ?? '');
      if (m?.size === 0) bySvc!.delete(svc);
      if (bySvc?.size === 0) set.slicesByNs.delete(ns);
      notify(set, ns, svc);
    };
    slices.subscribe((e) => {
      if (set.slices !== slices) return;
      if (e.kind === 'added') put(e.object);
      else if (e.kind === 'modified') {
        // The service label may change (rare): drop from the old service first.
        if (
          e.previous.metadata.labels?.[SERVICE_NAME_LABEL] !== e.object.metadata.labels?.[SERVICE_NAME_LABEL]
        ) {
          drop(e.previous);
        }
        put(e.object);
      } else if (e.kind === 'deleted') drop(e.object);
    });
    return slices;
  }

  function watchEndpoints(set: WatchSet, informers: SharedInformers): InformerLease<Endpoints> {
    const endpoints = informers.acquire(ENDPOINTS_V1, selectorOf(set));
    set.endpoints = endpoints;
    endpoints.subscribe((e) => {
      if (e.kind !== 'synced') notify(set, e.object.metadata.namespace ?? '', e.object.metadata.name);
    });
    return endpoints;
  }

  /**
   * Starts a set's list+watches as soon as there is a client: Services and (unless discovery
   * already said `endpoints`, or was configured so) EndpointSlices at once, in parallel with the
   * first discovery request rather than after it, so a first lookup costs one round trip of
   * lists, not two. If discovery then finds no EndpointSlice API (404), the slice watch is
   * dropped for core Endpoints.
   */
  function startWatch(set: WatchSet): void {
    const configured = options.discovery ?? 'auto';
    void client().then(
      ({ informers }) => {
        if (set.stopped) return;
        watchServices(set, informers);
        const likely = configured === 'auto' ? discovered : configured;
        if (likely !== 'endpoints') watchSlices(set, informers);
      },
      () => {},
    );
    connect().then(
      (c) => {
        if (set.stopped) return;
        set.mode = c.mode;
        const services = set.services ?? watchServices(set, c.informers);
        let endpointsSynced: Promise<void>;
        if (c.mode === 'endpointSlices') {
          endpointsSynced = (set.slices ?? watchSlices(set, c.informers)).synced;
        } else {
          if (set.slices !== undefined) {
            const optimistic = set.slices;
            set.slices = undefined;
            optimistic.release();
            set.slicesByNs.clear();
          }
          endpointsSynced = watchEndpoints(set, c.informers).synced;
        }
        void Promise.all([services.synced, endpointsSynced]).then(() => {
          if (set.stopped) return;
          set.synced = true;
          notify(set, set.namespace, undefined);
        });
      },
      (err: Error) => {
        set.error = err;
        notify(set, set.namespace, undefined);
      },
    );
  }

  function newSet(namespace: string | undefined): WatchSet {
    const set: WatchSet = {
      namespace,
      synced: false,
      error: undefined,
      services: undefined,
      slices: undefined,
      endpoints: undefined,
      mode: undefined,
      slicesByNs: new Map(),
      stopped: false,
    };
    startWatch(set);
    return set;
  }

  function stopSet(set: WatchSet): void {
    set.stopped = true;
    set.services?.release();
    set.slices?.release();
    set.endpoints?.release();
  }

  // Cluster-wide: one set for every namespace, started now so that the first route of a new
  // namespace finds its Service and endpoints already listed.
  const clusterSet = options.allNamespaces === true ? newSet(undefined) : undefined;

  function acquire(namespace: string): NamespaceWatch {
    let w = watches.get(namespace);
    if (w === undefined) {
      w = { namespace, set: clusterSet ?? newSet(namespace), refs: 0, listeners: new Map() };
      watches.set(namespace, w);
    }
    w.refs++;
    return w;
  }

  function release(w: NamespaceWatch): void {
    if (--w.refs > 0) return;
    if (w.set !== clusterSet) stopSet(w.set);
    if (watches.get(w.namespace) === w) watches.delete(w.namespace);
  }

  function listen(w: NamespaceWatch, svc: string, f: () => void): Dispose {
    let set = w.listeners.get(svc);
    if (!set) {
      set = new Set();
      w.listeners.set(svc, set);
    }
    set.add(f);
    return () => {
      set.delete(f);
      if (set.size === 0 && w.listeners.get(svc) === set) w.listeners.delete(svc);
    };
  }

  /** Observes the namespace watch for one service: `f` runs now and on every change. */
  function observeService(namespace: string, svc: string, f: (w: NamespaceWatch) => void): Dispose {
    const w = acquire(namespace);
    const off = listen(w, svc, () => f(w));
    f(w);
    return () => {
      off();
      release(w);
    };
  }

  function serviceOf(w: NamespaceWatch, svc: string, label: string | undefined): Service | undefined {
    const s = w.set.services?.get(w.namespace, svc);
    if (s === undefined) return undefined;
    if (labelKey !== undefined && s.metadata.labels?.[labelKey] !== label) return undefined;
    return s;
  }

  const addrs = new Map<string, VarType<Addr>>();

  /** The live Addr of one (namespace, port, service, label), shared by every name bound to it. */
  function addrOf(ns: string, port: string, svc: string, label: string | undefined): VarType<Addr> {
    const key = `${ns}/${port}/${svc}/${label ?? ''}`;
    let v = addrs.get(key);
    if (v !== undefined) return v;
    v = Var.async<Addr>(Addr.pending, (update) => {
      let last: string | undefined;
      return observeService(ns, svc, (w) => {
        const set = w.set;
        if (!set.synced) {
          if (set.error) update(Addr.failed(set.error));
          return;
        }
        const service = serviceOf(w, svc, label);
        const sp = service && resolveServicePort(service, port);
        if (sp === undefined) {
          last = undefined;
          update(Addr.neg);
          return;
        }
        const list =
          set.mode === 'endpoints'
            ? endpointsAddresses(sp, set.endpoints?.get(ns, svc))
            : sliceAddresses(sp, set.slicesByNs.get(ns)?.get(svc)?.values() ?? [], families);
        const k = addressesKey(list);
        if (k === last) return;
        last = k;
        updates?.incr();
        update(Addr.bound(list));
      });
    });
    addrs.set(key, v);
    return v;
  }

  function lookup(path: Path): Activity<NameTree<Name>> {
    const used = labelKey === undefined ? 3 : 4;
    if (path.length < used) return NEG_ACTIVITY;
    lookups?.incr();
    const [ns, port, svc] = [path[0]!.toLowerCase(), path[1]!.toLowerCase(), path[2]!.toLowerCase()];
    const label = labelKey === undefined ? undefined : path[3]!.toLowerCase();
    const id: Path = Object.freeze([...idPrefix, ns, port, svc, ...(label === undefined ? [] : [label])]);
    const residual: Path = Object.freeze(path.slice(used));
    let leaf: ActivityState<NameTree<Name>> | undefined;
    return Activity.fromVar(
      Var.async<ActivityState<NameTree<Name>>>(Activity.pendingState, (update) =>
        observeService(ns, svc, (w) => {
          if (!w.set.synced) {
            update(w.set.error ? Activity.failed(w.set.error) : Activity.pendingState);
            return;
          }
          const service = serviceOf(w, svc, label);
          if (service === undefined || resolveServicePort(service, port) === undefined) {
            update(NEG_STATE);
            return;
          }
          leaf ??= Activity.ok<NameTree<Name>>(
            NameTree.leaf<Name>(Name.bound(id, addrOf(ns, port, svc, label), residual)),
          );
          update(leaf);
        }),
      ),
    );
  }

  function state(): K8sNamerState {
    return {
      prefix: Path.show(prefix),
      discovery: discovered,
      allNamespaces: clusterSet !== undefined,
      ...(clusterSet ? { synced: clusterSet.synced } : {}),
      ...(clusterSet?.error ? { error: clusterSet.error.message } : {}),
      namespaces: [...watches.values()]
        .sort((a, b) => (a.namespace < b.namespace ? -1 : 1))
        .map((w) => ({
          namespace: w.namespace,
          synced: w.set.synced,
          observers: w.refs,
          ...(w.set.error ? { error: w.set.error.message } : {}),
        })),
    };
  }

  return Object.freeze({
    kind: K8S_KIND,
    prefix: Object.freeze([...prefix]),
    lookup,
    state,
    close() {
      if (closed) return;
      closed = true;
      for (const w of [...watches.values()]) {
        w.refs = 1;
        release(w);
      }
      if (clusterSet) stopSet(clusterSet);
      void ownedClient?.close();
    },
  });
}
