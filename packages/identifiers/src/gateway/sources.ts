/**
 * Where Gateway API objects come from: the Kubernetes API (list + watch through the shared
 * informers of `@switchyard/k8s`, as `io.l5d.ingress` does), a directory of YAML/JSON manifests
 * (watched; multi-document YAML and `kind: List` accepted), or a list given in code. All feed the
 * identifier the same upserts, deletes and one "synced", so routing never knows which.
 */
import type { Clock, Dispose } from '@switchyard/core';
import {
  defineResource,
  GATEWAY_CLASS_V1,
  GATEWAY_V1,
  GRPC_ROUTE_V1,
  HTTP_ROUTE_V1,
  type KubeClient,
  type KubeConnectionConfig,
  type KubeObject,
  REFERENCE_GRANT_V1BETA1,
  type ResourceDescriptor,
  SERVICE_V1,
  type SharedInformers,
} from '@switchyard/k8s';
import { watchKubernetes } from '../kube-watch.js';
import { parseManifestObjects, watchManifestDirectory } from '../manifest-directory.js';
import { GatewaySourceError } from './errors.js';

/**
 * The kinds this identifier reads. `Service` only from the Kubernetes API (for `BackendNotFound`);
 * manifests and static lists have no Services: there the dtab alone decides whether a backend exists.
 */
export type GatewayObjectKind =
  | 'GatewayClass'
  | 'Gateway'
  | 'HTTPRoute'
  | 'GRPCRoute'
  | 'ReferenceGrant'
  | 'Namespace'
  | 'Service';

/** The kinds read from manifests and static lists. */
const KINDS: ReadonlySet<string> = new Set<GatewayObjectKind>([
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'GRPCRoute',
  'ReferenceGrant',
  'Namespace',
]);
const CLUSTER_SCOPED: ReadonlySet<string> = new Set(['GatewayClass', 'Namespace']);

/** Core `v1` Namespace (cluster-scoped), for `allowedRoutes.namespaces.from: Selector`. */
const NAMESPACE_V1 = defineResource<KubeObject>({
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
});

/**
 * Where objects come from, discriminated on `kind`:
 * - `kubernetes`: the API server (a `client`, a connection `config`, or automatic discovery).
 *   Clusters without the Gateway API CRDs serve nothing (and are synced at once).
 * - `directory`: every `*.yaml`, `*.yml`, `*.json` of `dir` (not recursive), re-read on change
 *   (fs events plus a poll every `pollIntervalMs`, default 1000). GatewayClass, Gateway,
 *   HTTPRoute, GRPCRoute, ReferenceGrant and Namespace documents are used, others ignored.
 * - `static`: a fixed list of such objects.
 */
export type GatewaySource =
  | {
      readonly kind: 'kubernetes';
      readonly client?: KubeClient;
      readonly config?: KubeConnectionConfig;
      readonly informers?: SharedInformers;
    }
  | { readonly kind: 'directory'; readonly dir: string; readonly pollIntervalMs?: number }
  | { readonly kind: 'static'; readonly objects: readonly KubeObject[] };

/** True when the source reports Services (so backends can be `BackendNotFound`). */
export function sourceHasServices(source: GatewaySource): boolean {
  return source.kind === 'kubernetes';
}

/** What a running source tells the identifier. */
export interface GatewaySourceSink {
  upsert(kind: GatewayObjectKind, object: KubeObject): void;
  remove(kind: GatewayObjectKind, key: string): void;
  /** The first complete state has been delivered. Called once. */
  synced(): void;
  /** A file could not be read or parsed; `undefined` clears that file's error. */
  fileError(file: string, error: GatewaySourceError | undefined): void;
}

/** A started source. */
export interface RunningGatewaySource {
  readonly stop: Dispose;
  /** The Kubernetes client once known (status writes use it). */
  readonly kube: Promise<KubeClient | undefined>;
}

/** The store key of an object of `kind`: `namespace/name`, or `name` when cluster-scoped. */
export function objectKeyOf(kind: string, o: KubeObject): string {
  const name = o.metadata?.name ?? '';
  return CLUSTER_SCOPED.has(kind) ? name : `${o.metadata?.namespace ?? 'default'}/${name}`;
}

/** Starts `source`. `namespace` restricts namespaced objects to one namespace. */
export function startGatewaySource(
  source: GatewaySource,
  sink: GatewaySourceSink,
  options: { readonly namespace?: string; readonly clock: Clock },
): RunningGatewaySource {
  switch (source.kind) {
    case 'kubernetes':
      return startKubernetes(source, sink, options);
    case 'directory':
      return startDirectory(source, sink, options);
    case 'static': {
      for (const o of source.objects) {
        if (o?.kind !== undefined && KINDS.has(o.kind) && inScope(o, options.namespace))
          sink.upsert(o.kind as GatewayObjectKind, o);
      }
      sink.synced();
      return { stop: () => {}, kube: Promise.resolve(undefined) };
    }
    default: {
      const never: never = source;
      throw new TypeError(`unknown gateway source ${JSON.stringify(never)}`);
    }
  }
}

function inScope(o: KubeObject, namespace: string | undefined): boolean {
  if (namespace === undefined || CLUSTER_SCOPED.has(o.kind ?? '')) return true;
  return (o.metadata?.namespace ?? 'default') === namespace;
}

function startKubernetes(
  source: Extract<GatewaySource, { kind: 'kubernetes' }>,
  sink: GatewaySourceSink,
  options: { readonly namespace?: string },
): RunningGatewaySource {
  const resources: [GatewayObjectKind, ResourceDescriptor<KubeObject>, boolean][] = [
    ['GatewayClass', GATEWAY_CLASS_V1 as ResourceDescriptor<KubeObject>, false],
    ['Gateway', GATEWAY_V1 as ResourceDescriptor<KubeObject>, true],
    ['HTTPRoute', HTTP_ROUTE_V1 as ResourceDescriptor<KubeObject>, true],
    ['GRPCRoute', GRPC_ROUTE_V1 as ResourceDescriptor<KubeObject>, true],
    ['ReferenceGrant', REFERENCE_GRANT_V1BETA1 as ResourceDescriptor<KubeObject>, true],
    ['Namespace', NAMESPACE_V1, false],
    ['Service', SERVICE_V1 as ResourceDescriptor<KubeObject>, true],
  ];
  const watch = watchKubernetes(
    source,
    resources.map(([kind, resource, namespaced]) => ({
      resource,
      ...(namespaced ? { namespace: options.namespace } : {}),
      // Clusters without the Gateway API CRDs serve nothing of those kinds (and are synced at once).
      optional: true,
      upsert: (o) => sink.upsert(kind, o),
      remove: (o) => sink.remove(kind, objectKeyOf(kind, o)),
    })),
    () => sink.synced(),
  );
  return { stop: watch.stop, kube: watch.kube.then((k) => k?.client) };
}

/** Parses one manifest: the Gateway API objects in it, or the error with `file:line:col`. */
export function parseGatewayManifest(file: string, text: string): KubeObject[] | GatewaySourceError {
  return parseManifestObjects(file, text, KINDS, (where, message, cause) => {
    return new GatewaySourceError(where, message, { cause });
  });
}

function startDirectory(
  source: Extract<GatewaySource, { kind: 'directory' }>,
  sink: GatewaySourceSink,
  options: { readonly namespace?: string; readonly clock: Clock },
): RunningGatewaySource {
  let delivered = new Map<string, { kind: GatewayObjectKind; key: string; json: string }>();

  function deliver(objects: readonly KubeObject[]): void {
    const next = new Map<
      string,
      { kind: GatewayObjectKind; key: string; json: string; object: KubeObject }
    >();
    for (const o of objects) {
      if (!inScope(o, options.namespace)) continue;
      const kind = o.kind as GatewayObjectKind;
      const key = objectKeyOf(kind, o);
      next.set(`${kind} ${key}`, { kind, key, json: JSON.stringify(o), object: o });
    }
    for (const [id, n] of next) {
      if (delivered.get(id)?.json === n.json) continue;
      sink.upsert(n.kind, n.object);
    }
    for (const [id, old] of delivered) if (!next.has(id)) sink.remove(old.kind, old.key);
    delivered = next;
  }

  const watch = watchManifestDirectory({
    dir: source.dir,
    ...(source.pollIntervalMs !== undefined ? { pollIntervalMs: source.pollIntervalMs } : {}),
    clock: options.clock,
    parse: parseGatewayManifest,
    readError: (path, message, cause) => new GatewaySourceError(path, message, { cause }),
    fileError: (path, error) => sink.fileError(path, error),
    deliver,
    synced: () => sink.synced(),
  });
  return { stop: () => watch.stop(), kube: Promise.resolve(undefined) };
}
