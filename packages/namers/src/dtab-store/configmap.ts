/**
 * The ConfigMap dtab store: the dtab is one key (`filename`, as in Linkerd 1's
 * `io.l5d.k8s.configMap` interpreter) of a ConfigMap per router name, watched by an informer in
 * every replica; writes carry the resourceVersion read (409 → a typed conflict) and keep the
 * ConfigMap's other keys. A ConfigMap has no status: a dtab that does not parse is ignored and
 * reported in the annotation {@link REJECTED_ANNOTATION} (removed once the dtab is fixed).
 */
import type { Stats } from '@switchyard/core';
import {
  defineResource,
  type KubeClient,
  type KubeObject,
  type ResourceDescriptor,
  type SharedInformers,
} from '@switchyard/k8s';
import { createResourceDtabStore } from './resource-store.js';
import type { DtabStore, DtabStoreEvent, DtabStoreLeader } from './types.js';

/** A core/v1 ConfigMap, as far as the store reads it. */
export interface ConfigMapResource extends KubeObject {
  data?: Record<string, string>;
}

/** core/v1 `ConfigMap`. */
export const CONFIG_MAP_V1: ResourceDescriptor<ConfigMapResource> = defineResource<ConfigMapResource>({
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
});

/** Annotation holding why the ConfigMap's dtab was rejected; absent while it is in use. */
export const REJECTED_ANNOTATION = 'switchyard.dev/dtab-rejected';

export interface ConfigMapDtabStoreOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The ConfigMap key holding the dtab; default `dtab`. */
  readonly filename?: string;
  /** Called for every dtab taken into use, removed, or ignored as invalid. */
  readonly onEvent?: (event: DtabStoreEvent) => void;
  /** Counts `dtab_store/applied` and `dtab_store/invalid`. */
  readonly stats?: Stats;
  /** Where its informer comes from (default: one of its own); see `ResourceStoreOptions.informers`. */
  readonly informers?: SharedInformers;
  /** Writes reports only while leading (default: always); see `ResourceStoreOptions.leader`. */
  readonly leader?: DtabStoreLeader;
  /** Write {@link REJECTED_ANNOTATION} on a bad dtab (default true). */
  readonly writeAnnotation?: boolean;
}

/** Creates the store; the informer starts with the first observer and stops with the last. */
export function createConfigMapDtabStore(options: ConfigMapDtabStoreOptions): DtabStore {
  const { client, namespace } = options;
  const key = options.filename ?? 'dtab';
  const writeAnnotation = options.writeAnnotation ?? true;

  function report(o: ConfigMapResource, accepted: boolean, _reason: string, message: string) {
    if (!writeAnnotation) return undefined;
    const annotations = { ...o.metadata.annotations };
    const current = annotations[REJECTED_ANNOTATION];
    if (accepted) {
      // Written only to clear an earlier rejection (each write bumps the resourceVersion).
      if (current === undefined) return undefined;
      delete annotations[REJECTED_ANNOTATION];
    } else {
      if (current === message) return undefined;
      annotations[REJECTED_ANNOTATION] = message;
    }
    // A replace with the version read: if someone changed it meanwhile this fails, and the
    // informer's next event reports again.
    return client.replace(CONFIG_MAP_V1, { ...o, metadata: { ...o.metadata, annotations } });
  }

  return createResourceDtabStore<ConfigMapResource>(options, {
    kind: 'io.l5d.k8s.configMap',
    resource: CONFIG_MAP_V1,
    where: (name) => `ConfigMap ${namespace}/${name}`,
    field: `data.${key}`,
    text: (o) => {
      const text = o.data?.[key];
      return typeof text === 'string' ? text : { error: `missing (the ConfigMap has no key ${key})` };
    },
    // Annotation writes change the resourceVersion only; the dtab is read from the key.
    generation: (o) => `${o.metadata.uid ?? ''}/${JSON.stringify(o.data?.[key] ?? null)}`,
    readBeforeReplace: true,
    body: (name, text, expectedVersion, current) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        ...(current?.metadata ?? {}),
        name,
        namespace,
        ...(expectedVersion !== undefined ? { resourceVersion: expectedVersion } : {}),
      },
      data: { ...current?.data, [key]: text },
    }),
    report,
  });
}
