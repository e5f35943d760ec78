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
import type { ActivityState, Clock, Namer, Stats, Var as VarType } from '@switchyard/core';
import { Activity, Addr, Name, Var } from '@switchyard/core';
import { NameTree, Path } from '@switchyard/dtab';
import type { KubeClient, KubeConnectionConfig, Service, SharedInformers } from '@switchyard/k8s';
import { type K8sDiscovery, namerConnection } from './connection.js';
import {
  type AddressFamily,
  addressesKey,
  endpointsAddresses,
  resolveServicePort,
  sliceAddresses,
} from './endpoints.js';
import { K8sNamerConfigError } from './errors.js';
import { type NamespaceWatch, namespaceWatches } from './watches.js';

export type { K8sDiscovery } from './connection.js';

/** The Linkerd kind of {@link createK8sNamer}. */
export const K8S_KIND = 'io.l5d.k8s';

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
  const connection = namerConnection(options);
  const watches = namespaceWatches(connection, options);
  const { observeService, clusterSet } = watches;
  let closed = false;

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
      discovery: connection.discovered(),
      allNamespaces: clusterSet !== undefined,
      ...(clusterSet ? { synced: clusterSet.synced } : {}),
      ...(clusterSet?.error ? { error: clusterSet.error.message } : {}),
      namespaces: [...watches.namespaces()]
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
      watches.close();
      connection.close();
    },
  });
}
