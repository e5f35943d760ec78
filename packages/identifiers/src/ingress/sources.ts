/**
 * Where Ingress objects come from. In a cluster that is the Kubernetes API (list + watch through
 * `@switchyard/k8s` informers); without one, a directory of YAML manifests (the very files one
 * would `kubectl apply`) watched for edits, or a list passed in code. All three feed the
 * identifier the same stream of upserts, deletes and "synced", so matching never knows which.
 */

import type { Clock, Dispose } from '@switchyard/core';
import {
  INGRESS_CLASS_V1,
  INGRESS_EXTENSIONS_V1BETA1,
  INGRESS_NETWORKING_V1BETA1,
  INGRESS_V1,
  type IngressClass,
  type KubeClient,
  type KubeConnectionConfig,
  type KubeObject,
  type ResourceDescriptor,
  type SharedInformers,
} from '@switchyard/k8s';
import { type WatchedResource, watchKubernetes } from '../kube-watch.js';
import { parseManifestObjects, watchManifestDirectory } from '../manifest-directory.js';
import { IngressSourceError } from './errors.js';

/** The Ingress API versions the Kubernetes source can watch. */
export type IngressApiVersion = 'networking.k8s.io/v1' | 'networking.k8s.io/v1beta1' | 'extensions/v1beta1';

/**
 * Where Ingresses come from, discriminated on `kind`:
 * - `kubernetes`: the API server. Give a `client`, or a connection `config`, or neither (then
 *   in-cluster / kubeconfig discovery via `autoConfig`). `informers` shares watches with other
 *   consumers. `apiVersion` (default `networking.k8s.io/v1`) selects the Ingress API for clusters
 *   older than 1.19. IngressClasses are watched too (skipped on clusters that do not serve them).
 * - `directory`: every `*.yaml`, `*.yml` and `*.json` file of `dir` (not recursive), multi-document
 *   YAML and `kind: List` accepted, re-read when a file changes (fs events plus a poll every
 *   `pollIntervalMs`, default 1000). Ingress and IngressClass documents are used, others ignored.
 * - `static`: a fixed list of Ingress and IngressClass objects.
 */
export type IngressSource =
  | {
      readonly kind: 'kubernetes';
      readonly client?: KubeClient;
      readonly config?: KubeConnectionConfig;
      readonly informers?: SharedInformers;
      readonly labelSelector?: string;
      readonly apiVersion?: IngressApiVersion;
    }
  | { readonly kind: 'directory'; readonly dir: string; readonly pollIntervalMs?: number }
  | { readonly kind: 'static'; readonly objects: readonly KubeObject[] };

/** What a running source tells the identifier. */
export interface SourceSink {
  upsertIngress(object: KubeObject, apiVersion: string): void;
  deleteIngress(namespace: string, name: string): void;
  upsertClass(object: IngressClass): void;
  deleteClass(name: string): void;
  /** The first complete state has been delivered. Called once. */
  synced(): void;
  /** A file could not be read or parsed (directory source); `undefined` clears that file's error. */
  fileError(file: string, error: IngressSourceError | undefined): void;
}

/** A started source. */
export interface RunningSource {
  readonly stop: Dispose;
  /** The Kubernetes client and informers once known (status writes use them). */
  readonly kube: Promise<
    { client: KubeClient; informers: SharedInformers; resource: ResourceDescriptor<KubeObject> } | undefined
  >;
}

const RESOURCES: Record<IngressApiVersion, ResourceDescriptor<KubeObject>> = {
  'networking.k8s.io/v1': INGRESS_V1 as ResourceDescriptor<KubeObject>,
  'networking.k8s.io/v1beta1': INGRESS_NETWORKING_V1BETA1 as ResourceDescriptor<KubeObject>,
  'extensions/v1beta1': INGRESS_EXTENSIONS_V1BETA1 as ResourceDescriptor<KubeObject>,
};

/** Starts `source`, delivering to `sink`. `namespace` restricts Ingresses to one namespace. */
export function startSource(
  source: IngressSource,
  sink: SourceSink,
  options: { namespace?: string; clock: Clock; watchClasses: boolean },
): RunningSource {
  switch (source.kind) {
    case 'kubernetes':
      return startKubernetes(source, sink, options);
    case 'directory':
      return startDirectory(source, sink, options);
    case 'static':
      return startStatic(source, sink, options);
    default: {
      const never: never = source;
      throw new TypeError(`unknown ingress source ${JSON.stringify(never)}`);
    }
  }
}

function startStatic(
  source: Extract<IngressSource, { kind: 'static' }>,
  sink: SourceSink,
  options: { namespace?: string },
): RunningSource {
  for (const o of source.objects) {
    if (o?.kind === 'IngressClass') sink.upsertClass(o as IngressClass);
  }
  for (const o of source.objects) {
    if (o?.kind !== 'Ingress') continue;
    if (options.namespace !== undefined && (o.metadata?.namespace ?? 'default') !== options.namespace)
      continue;
    sink.upsertIngress(o, o.apiVersion ?? 'networking.k8s.io/v1');
  }
  sink.synced();
  return { stop: () => {}, kube: Promise.resolve(undefined) };
}

function startKubernetes(
  source: Extract<IngressSource, { kind: 'kubernetes' }>,
  sink: SourceSink,
  options: { namespace?: string; watchClasses: boolean },
): RunningSource {
  const apiVersion = source.apiVersion ?? 'networking.k8s.io/v1';
  const resource = RESOURCES[apiVersion];
  const resources: WatchedResource[] = [];
  if (options.watchClasses) {
    // Clusters before 1.19 have no IngressClass API: then there are no classes.
    resources.push({
      resource: INGRESS_CLASS_V1 as ResourceDescriptor<KubeObject>,
      optional: true,
      upsert: (o) => sink.upsertClass(o as IngressClass),
      remove: (o) => sink.deleteClass(o.metadata.name ?? ''),
    });
  }
  resources.push({
    resource,
    namespace: options.namespace,
    labelSelector: source.labelSelector,
    upsert: (o) => sink.upsertIngress(o, apiVersion),
    remove: (o) => sink.deleteIngress(o.metadata.namespace ?? 'default', o.metadata.name ?? ''),
  });
  const watch = watchKubernetes(source, resources, () => sink.synced());
  return {
    stop: watch.stop,
    kube: watch.kube.then((k) => (k === undefined ? undefined : { ...k, resource })),
  };
}

const INGRESS_KINDS: ReadonlySet<string> = new Set(['Ingress', 'IngressClass']);

/** Parses one manifest file: its Ingresses and IngressClasses, or the error with `file:line:col`. */
export function parseManifest(file: string, text: string): KubeObject[] | IngressSourceError {
  return parseManifestObjects(file, text, INGRESS_KINDS, (where, message, cause) => {
    return new IngressSourceError(where, message, { cause });
  });
}

function startDirectory(
  source: Extract<IngressSource, { kind: 'directory' }>,
  sink: SourceSink,
  options: { namespace?: string; clock: Clock },
): RunningSource {
  /** What was delivered, by `Kind namespace/name` → JSON, to emit only differences. */
  let delivered = new Map<string, { object: KubeObject; json: string }>();

  function deliver(objects: readonly KubeObject[]): void {
    const next = new Map<string, { object: KubeObject; json: string }>();
    for (const o of objects) {
      const ns = o.kind === 'Ingress' ? (o.metadata.namespace ?? 'default') : '';
      if (o.kind === 'Ingress' && options.namespace !== undefined && ns !== options.namespace) continue;
      next.set(`${o.kind} ${ns}/${o.metadata.name ?? ''}`, { object: o, json: JSON.stringify(o) });
    }
    // Classes first, so the claims of the Ingresses that follow see them.
    const keys = [...next.keys()].sort(
      (a, b) => (a.startsWith('IngressClass') ? -1 : 0) - (b.startsWith('IngressClass') ? -1 : 0),
    );
    for (const k of keys) {
      const n = next.get(k)!;
      if (delivered.get(k)?.json === n.json) continue;
      if (n.object.kind === 'IngressClass') sink.upsertClass(n.object as IngressClass);
      else sink.upsertIngress(n.object, n.object.apiVersion ?? 'networking.k8s.io/v1');
    }
    for (const [k, old] of delivered) {
      if (next.has(k)) continue;
      if (old.object.kind === 'IngressClass') sink.deleteClass(old.object.metadata.name ?? '');
      else sink.deleteIngress(old.object.metadata.namespace ?? 'default', old.object.metadata.name ?? '');
    }
    delivered = next;
  }

  const watch = watchManifestDirectory({
    dir: source.dir,
    ...(source.pollIntervalMs !== undefined ? { pollIntervalMs: source.pollIntervalMs } : {}),
    clock: options.clock,
    parse: parseManifest,
    readError: (path, message, cause) => new IngressSourceError(path, message, { cause }),
    fileError: (path, error) => sink.fileError(path, error),
    deliver,
    synced: () => sink.synced(),
  });
  return { stop: () => watch.stop(), kube: Promise.resolve(undefined) };
}
