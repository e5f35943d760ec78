/**
 * The Kubernetes dtab store: a `Dtab` custom resource (`dtabs.switchyard.dev`, `spec.dtab`) per
 * router name, watched by an informer in every replica. A dtab that does not parse is reported on
 * the resource's status (condition `Accepted=False`, reason `InvalidDtab`; set back to `True` once
 * fixed) and ignored; writes
 * carry the resourceVersion that was read, so a concurrent change answers 409 (a typed conflict).
 */
import { Activity, type ActivityState, type Dispose, type Stats, Var } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import {
  createInformer,
  defineResource,
  type Informer,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type ResourceDescriptor,
} from '@switchyard/k8s';
import {
  checkName,
  type DtabStore,
  DtabStoreConflictError,
  type DtabStoreEvent,
  DtabStoreInvalidError,
  type StoredDtab,
} from './types.js';

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
  /** Write `Accepted` conditions on the resource's status (default true). */
  readonly writeStatus?: boolean;
}

function parse(o: DtabResource, where: string): Dtab | DtabStoreInvalidError {
  const text = o.spec?.dtab;
  if (typeof text !== 'string') return new DtabStoreInvalidError(where, 'spec.dtab: must be a string');
  try {
    return Dtab.read(text);
  } catch (error) {
    return new DtabStoreInvalidError(where, `spec.dtab: ${(error as Error).message}`, { cause: error });
  }
}

/** Creates the store; the informer starts with the first observer and stops with the last. */
export function createK8sDtabStore(options: K8sDtabStoreOptions): DtabStore {
  const { client, namespace } = options;
  const writeStatus = options.writeStatus ?? true;
  let informer: Informer<DtabResource> | undefined;
  let users = 0;
  const statusWrites = new Set<Promise<unknown>>();

  function acquire(): Informer<DtabResource> {
    users += 1;
    informer ??= createInformer(client, DTAB_V1ALPHA1, { namespace });
    return informer;
  }
  function release(): void {
    users -= 1;
    if (users === 0) {
      informer?.stop();
      informer = undefined;
    }
  }

  /** Sets the `Accepted` condition unless it already says the same for this generation. */
  function report(o: DtabResource, accepted: boolean, reason: string, message: string): void {
    if (!writeStatus) return;
    const generation = o.metadata.generation;
    const current = o.status?.conditions?.find((c) => c.type === 'Accepted');
    const status = accepted ? 'True' : 'False';
    // A good dtab is written up only to clear an earlier rejection: every status write bumps the
    // resourceVersion, which would make the writer's next update a conflict.
    if (accepted && (current === undefined || current.status === 'True')) return;
    if (current && current.status === status && current.observedGeneration === generation) return;
    const condition: DtabCondition = {
      type: 'Accepted',
      status,
      reason,
      message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const others = (o.status?.conditions ?? []).filter((c) => c.type !== 'Accepted');
    const write = client
      .patchStatus(DTAB_V1ALPHA1, namespace, o.metadata.name!, {
        status: { observedGeneration: generation, conditions: [...others, condition] },
      })
      // Another replica may have written it first, or the object is gone: the next event retries.
      .catch(() => undefined)
      .finally(() => statusWrites.delete(write));
    statusWrites.add(write);
  }

  /** One Activity per name, so every observer shares a watch and its last good dtab. */
  const activities = new Map<string, Activity<StoredDtab | undefined>>();

  function observe(name: string): Activity<StoredDtab | undefined> {
    checkName(name);
    const known = activities.get(name);
    if (known) return known;
    const where = `Dtab ${namespace}/${name}`;
    const states = Var.async<ActivityState<StoredDtab | undefined>>(Activity.pendingState, (update) => {
      const inf = acquire();
      let last: StoredDtab | undefined;
      /** The generation last parsed, and whether it was good: status writes bump only the resourceVersion. */
      let seen: string | undefined;
      let seenGood = false;
      const apply = (o: DtabResource | undefined) => {
        if (o === undefined) {
          if (last !== undefined) options.onEvent?.({ kind: 'removed', name });
          last = undefined;
          seen = undefined;
          update(Activity.ok(undefined));
          return;
        }
        const version = o.metadata.resourceVersion ?? '';
        const generation = `${o.metadata.uid ?? ''}/${o.metadata.generation ?? version}`;
        if (generation === seen) {
          // Same spec, newer resourceVersion (a status write): writers need the current version.
          if (seenGood && last !== undefined && last.version !== version) {
            last = Object.freeze({ ...last, version });
            update(Activity.ok(last));
          }
          return;
        }
        seen = generation;
        const dtab = parse(o, where);
        if (dtab instanceof DtabStoreInvalidError) {
          seenGood = false;
          options.stats?.counter('dtab_store', 'invalid').incr();
          options.onEvent?.({ kind: 'invalid', name, version, error: dtab });
          report(o, false, 'InvalidDtab', dtab.message);
          // Ignored: the last good dtab (or none) keeps serving.
          update(Activity.ok(last));
          return;
        }
        seenGood = true;
        report(o, true, 'Accepted', `dtab of ${dtab.length} dentries in use`);
        const changed = last === undefined || Dtab.show(last.dtab) !== Dtab.show(dtab);
        last = Object.freeze({ name, dtab, version });
        if (changed) {
          options.stats?.counter('dtab_store', 'applied').incr();
          options.onEvent?.({ kind: 'applied', stored: last });
        }
        update(Activity.ok(last));
      };
      const stop: Dispose = inf.subscribe((event) => {
        switch (event.kind) {
          case 'added':
          case 'modified':
          case 'deleted':
            if (event.object.metadata.name === name) apply(inf.get(namespace, name));
            return;
          case 'synced':
            apply(inf.get(namespace, name));
            return;
        }
      });
      return () => {
        stop();
        release();
      };
    });
    const activity = Activity.fromVar(states);
    activities.set(name, activity);
    return activity;
  }

  async function update(name: string, dtab: Dtab, expectedVersion: string | undefined): Promise<StoredDtab> {
    checkName(name);
    const where = `Dtab ${namespace}/${name}`;
    const body: DtabResource = {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'Dtab',
      metadata: {
        name,
        namespace,
        ...(expectedVersion !== undefined ? { resourceVersion: expectedVersion } : {}),
      },
      spec: { dtab: Dtab.show(dtab) },
    };
    try {
      const written =
        expectedVersion === undefined
          ? await client.create(DTAB_V1ALPHA1, body)
          : await client.replace(DTAB_V1ALPHA1, body);
      return Object.freeze({ name, dtab, version: written.metadata.resourceVersion ?? '' });
    } catch (error) {
      // 409: changed (or created) since read; 404 on a replace: deleted since read.
      const stale =
        error instanceof KubeApiError &&
        (error.status === 409 || (error.status === 404 && expectedVersion !== undefined));
      if (stale) {
        throw new DtabStoreConflictError(where, expectedVersion, { cause: error });
      }
      throw error;
    }
  }

  return {
    kind: 'io.l5d.k8s',
    observe,
    update,
    async close() {
      informer?.stop();
      informer = undefined;
      await Promise.all([...statusWrites]);
    },
  };
}
