/**
 * The Kubernetes dtab store: a `Dtab` custom resource (`dtabs.switchyard.dev`, `spec.dtab`) per
 * router name, watched by an informer in every replica. A dtab that does not parse is reported on
 * the resource's status (condition `Accepted=False`, reason `InvalidDtab`; set back to `True` once
 * fixed) and ignored; writes carry the resourceVersion that was read, so a concurrent change
 * answers 409 (a typed conflict). The watch and write logic is shared with the ConfigMap store
 * (`resource-store.ts`).
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

/** A status condition as Kubernetes writes them. */
export interface DtabCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** The `Dtab` custom resource. */
export interface DtabResource extends KubeObject {
  spec: { dtab: string };
  status?: { observedGeneration?: number; conditions?: DtabCondition[] };
}

/** `switchyard.dev/v1alpha1` `Dtab` (the CRD is examples/ingress/k8s/base/dtab-crd.yaml). */
export const DTAB_V1ALPHA1: ResourceDescriptor<DtabResource> = defineResource<DtabResource>({
  group: 'switchyard.dev',
  version: 'v1alpha1',
  plural: 'dtabs',
  kind: 'Dtab',
  namespaced: true,
});

export interface K8sDtabStoreOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Called for every dtab taken into use, removed, or ignored as invalid. */
  readonly onEvent?: (event: DtabStoreEvent) => void;
  /** Counts `dtab_store/applied` and `dtab_store/invalid`. */
  readonly stats?: Stats;
  /** Where its informer comes from (default: one of its own); see `ResourceStoreOptions.informers`. */
  readonly informers?: SharedInformers;
  /** Writes reports only while leading (default: always); see `ResourceStoreOptions.leader`. */
  readonly leader?: DtabStoreLeader;
  /** Write `Accepted` conditions on the resource's status (default true). */
  readonly writeStatus?: boolean;
}

/** Creates the store; the informer starts with the first observer and stops with the last. */
export function createK8sDtabStore(options: K8sDtabStoreOptions): DtabStore {
  const { client, namespace } = options;
  const writeStatus = options.writeStatus ?? true;

  /** Sets the `Accepted` condition unless it already says the same for this generation. */
  function report(o: DtabResource, accepted: boolean, reason: string, message: string) {
    if (!writeStatus) return undefined;
    const generation = o.metadata.generation;
    const current = o.status?.conditions?.find((c) => c.type === 'Accepted');
    const status = accepted ? 'True' : 'False';
    // A good dtab is written up only to clear an earlier rejection: every status write bumps the
    // resourceVersion, which would make the writer's next update a conflict.
    if (accepted && (current === undefined || current.status === 'True')) return undefined;
    if (current && current.status === status && current.observedGeneration === generation) return undefined;
    const condition: DtabCondition = {
      type: 'Accepted',
      status,
      reason,
      message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const others = (o.status?.conditions ?? []).filter((c) => c.type !== 'Accepted');
    return client.patchStatus(DTAB_V1ALPHA1, namespace, o.metadata.name!, {
      status: { observedGeneration: generation, conditions: [...others, condition] },
    });
  }

  return createResourceDtabStore<DtabResource>(options, {
    kind: 'io.l5d.k8s',
    resource: DTAB_V1ALPHA1,
    where: (name) => `Dtab ${namespace}/${name}`,
    field: 'spec.dtab',
    text: (o) => (typeof o.spec?.dtab === 'string' ? o.spec.dtab : { error: 'must be a string' }),
    // Status writes bump the resourceVersion, not the generation.
    generation: (o) => `${o.metadata.uid ?? ''}/${o.metadata.generation ?? o.metadata.resourceVersion ?? ''}`,
    readBeforeReplace: false,
    body: (name, text, expectedVersion) => ({
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'Dtab',
      metadata: {
        name,
        namespace,
        ...(expectedVersion !== undefined ? { resourceVersion: expectedVersion } : {}),
      },
      spec: { dtab: text },
    }),
    report,
  });
}
