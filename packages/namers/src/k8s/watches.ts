/**
 * The `io.l5d.k8s` namer's watches: one set of list+watches (Services plus EndpointSlices, or core
 * Endpoints on old clusters) per observed namespace — or one cluster-wide set with
 * `allNamespaces` — shared by every name bound there, with per-Service listeners. A namespace's
 * set starts with its first observer and stops with its last; the cluster-wide one runs until
 * `close()`. EndpointSlices are indexed by namespace and Service as they arrive.
 */
import type { Dispose } from '@switchyard/core';
import {
  ENDPOINT_SLICE_V1,
  ENDPOINTS_V1,
  type EndpointSlice,
  type Endpoints,
  type InformerLease,
  SERVICE_V1,
  type Service,
  type SharedInformers,
} from '@switchyard/k8s';
import type { EndpointsMode, K8sDiscovery, NamerConnection } from './connection.js';
import { SERVICE_NAME_LABEL } from './endpoints.js';

/**
 * One set of list+watches: Services plus EndpointSlices (or core Endpoints) of one namespace, or
 * of every namespace (`namespace` undefined, the `allNamespaces` option).
 */
export interface WatchSet {
  /** `undefined`: all namespaces. */
  readonly namespace: string | undefined;
  synced: boolean;
  error: Error | undefined;
  services: InformerLease<Service> | undefined;
  slices: InformerLease<EndpointSlice> | undefined;
  endpoints: InformerLease<Endpoints> | undefined;
  mode: EndpointsMode | undefined;
  /** Slices by namespace, service name, then slice name. */
  readonly slicesByNs: Map<string, Map<string, Map<string, EndpointSlice>>>;
  stopped: boolean;
}

/** The observers of one namespace, and the watch set that serves it. */
export interface NamespaceWatch {
  readonly namespace: string;
  readonly set: WatchSet;
  refs: number;
  /** Listeners by service name. */
  readonly listeners: Map<string, Set<() => void>>;
}

/** The watches of one namer. */
export interface NamespaceWatches {
  /** Observes the namespace watch for one service: `f` runs now and on every change. */
  observeService(namespace: string, svc: string, f: (w: NamespaceWatch) => void): Dispose;
  /** The cluster-wide set (`allNamespaces`), else `undefined`. */
  readonly clusterSet: WatchSet | undefined;
  /** The observed namespaces' watches. */
  namespaces(): readonly NamespaceWatch[];
  /** Stops every set. */
  close(): void;
}

/** Starts nothing until a namespace is observed, except the cluster-wide set with `allNamespaces`. */
export function namespaceWatches(
  connection: NamerConnection,
  options: { readonly discovery?: K8sDiscovery; readonly allNamespaces?: boolean },
): NamespaceWatches {
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

  /** Notifies the listeners of the object's own name (a Service, or its core Endpoints). */
  function notifyByName<T extends Service | Endpoints>(
    set: WatchSet,
    lease: InformerLease<T>,
  ): InformerLease<T> {
    lease.subscribe((e) => {
      if (e.kind !== 'synced') notify(set, e.object.metadata.namespace ?? '', e.object.metadata.name);
    });
    return lease;
  }

  function watchServices(set: WatchSet, informers: SharedInformers): InformerLease<Service> {
    set.services = informers.acquire(SERVICE_V1, selectorOf(set));
    return notifyByName(set, set.services);
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
    set.endpoints = informers.acquire(ENDPOINTS_V1, selectorOf(set));
    return notifyByName(set, set.endpoints);
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
    void connection.client().then(
      ({ informers }) => {
        if (set.stopped) return;
        watchServices(set, informers);
        const likely = configured === 'auto' ? connection.discovered() : configured;
        if (likely !== 'endpoints') watchSlices(set, informers);
      },
      () => {},
    );
    connection.connect().then(
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

  return {
    observeService,
    clusterSet,
    namespaces: () => [...watches.values()],
    close() {
      for (const w of [...watches.values()]) {
        w.refs = 1;
        release(w);
      }
      if (clusterSet) stopSet(clusterSet);
    },
  };
}
