/**
 * What the two Kubernetes dtab stores share (the `Dtab` custom resource and the ConfigMap): one
 * informer per store (its own, or a lease on a shared cache), started with the first observer and
 * stopped with the last; one Activity per
 * name whose last good dtab stays when a bad one arrives; writes that carry the resourceVersion
 * read, so that a concurrent change answers 409 (a typed conflict). A {@link DtabBacking} says
 * where the dtab text lives in the object and how a rejection is reported on it.
 */
import { Activity, type ActivityState, type Dispose, type Stats, Var } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import {
  createInformer,
  type InformerView,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type ResourceDescriptor,
  type SharedInformers,
} from '@switchyard/k8s';
import {
  checkName,
  type DtabStore,
  DtabStoreConflictError,
  type DtabStoreEvent,
  DtabStoreInvalidError,
  type DtabStoreLeader,
  type StoredDtab,
} from './types.js';

/** How a store keeps its dtab in one kind of Kubernetes object. */
export interface DtabBacking<T extends KubeObject> {
  readonly kind: DtabStore['kind'];
  readonly resource: ResourceDescriptor<T>;
  /** Names the object in messages, e.g. `Dtab l5d-system/web`. */
  where(name: string): string;
  /** The field holding the dtab, e.g. `spec.dtab`: parse errors start with it. */
  readonly field: string;
  /** The dtab text, or what is wrong with the field holding it. */
  text(o: T): string | { readonly error: string };
  /** Changes exactly when what the dtab is read from changes (not on a status-only write). */
  generation(o: T): string;
  /**
   * The object to write. `current` is the object as stored now (for a replace; `undefined` on a
   * create) when {@link readBeforeReplace}, so that fields the store does not own are kept.
   */
  body(name: string, text: string, expectedVersion: string | undefined, current: T | undefined): T;
  /** Read the object before a replace (it holds more than the dtab). */
  readonly readBeforeReplace: boolean;
  /**
   * Reports on the object whether its dtab is in use; resolves when written (failures ignored:
   * another replica may have written it, the next event retries). Absent: nothing is written.
   */
  report?(o: T, accepted: boolean, reason: string, message: string): Promise<unknown> | undefined;
}

/** Options shared by the Kubernetes stores. */
export interface ResourceStoreOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Called for every dtab taken into use, removed, or ignored as invalid. */
  readonly onEvent?: (event: DtabStoreEvent) => void;
  /** Counts `dtab_store/applied` and `dtab_store/invalid`. */
  readonly stats?: Stats;
  /**
   * Where the store's informer comes from: a lease on this shared cache (e.g. a `--workers`
   * worker's relayed informers, so the pod watches once), or by default an informer of its own.
   */
  readonly informers?: SharedInformers;
  /**
   * Who writes the reports (status or annotation): only while `isLeader()`, and on becoming leader
   * the current report of every watched name (e.g. a `--workers` pod's relayed Lease election, so
   * that one worker writes). Absent: this store always writes (a single process).
   */
  readonly leader?: DtabStoreLeader;
}

/** A store over `backing`'s objects in `options.namespace`. */
export function createResourceDtabStore<T extends KubeObject>(
  options: ResourceStoreOptions,
  backing: DtabBacking<T>,
): DtabStore {
  const { client, namespace } = options;
  let informer: { view: InformerView<T>; stop: () => void } | undefined;
  let users = 0;
  const reports = new Set<Promise<unknown>>();
  /** Per watched name: writes its current report again (for a new leader). */
  const reReports = new Map<string, () => void>();
  const stopLeader = options.leader?.onChange((leader) => {
    if (leader) for (const again of [...reReports.values()]) again();
  });

  function open(): { view: InformerView<T>; stop: () => void } {
    if (options.informers !== undefined) {
      const lease = options.informers.acquire(backing.resource, { namespace });
      return { view: lease, stop: () => lease.release() };
    }
    const own = createInformer(client, backing.resource, { namespace });
    return { view: own, stop: () => own.stop() };
  }
  function acquire(): InformerView<T> {
    users += 1;
    informer ??= open();
    return informer.view;
  }
  function release(): void {
    users -= 1;
    if (users === 0) {
      informer?.stop();
      informer = undefined;
    }
  }
  function report(o: T, accepted: boolean, reason: string, message: string): void {
    if (options.leader !== undefined && !options.leader.isLeader()) return;
    const write = backing.report?.(o, accepted, reason, message);
    if (write === undefined) return;
    const tracked: Promise<unknown> = write.catch(() => undefined).finally(() => reports.delete(tracked));
    reports.add(tracked);
  }

  /** One Activity per name, so every observer shares a watch and its last good dtab. */
  const activities = new Map<string, Activity<StoredDtab | undefined>>();

  function observe(name: string): Activity<StoredDtab | undefined> {
    checkName(name);
    const known = activities.get(name);
    if (known) return known;
    const where = backing.where(name);
    const states = Var.async<ActivityState<StoredDtab | undefined>>(Activity.pendingState, (update) => {
      const inf = acquire();
      let last: StoredDtab | undefined;
      /** The generation last parsed: report writes bump only the resourceVersion. */
      let seen: string | undefined;
      /** The report for `seen`, written again when this store becomes the leader. */
      let verdict: { accepted: boolean; reason: string; message: string } | undefined;
      reReports.set(name, () => {
        const o = inf.get(namespace, name);
        if (o !== undefined && verdict !== undefined && backing.generation(o) === seen) {
          report(o, verdict.accepted, verdict.reason, verdict.message);
        }
      });
      const apply = (o: T | undefined) => {
        if (o === undefined) {
          if (last !== undefined) options.onEvent?.({ kind: 'removed', name });
          last = undefined;
          seen = undefined;
          verdict = undefined;
          update(Activity.ok(undefined));
          return;
        }
        const version = o.metadata.resourceVersion ?? '';
        const generation = backing.generation(o);
        if (generation === seen) {
          // Same dtab, newer resourceVersion (a report write): writers need the current version.
          if (last !== undefined && last.version !== version) {
            last = Object.freeze({ ...last, version });
            update(Activity.ok(last));
          }
          return;
        }
        seen = generation;
        const dtab = parse(backing.text(o), where, backing.field);
        if (dtab instanceof DtabStoreInvalidError) {
          options.stats?.counter('dtab_store', 'invalid').incr();
          options.onEvent?.({ kind: 'invalid', name, version, error: dtab });
          verdict = { accepted: false, reason: 'InvalidDtab', message: dtab.message };
          report(o, false, verdict.reason, verdict.message);
          // Ignored: the last good dtab (or none) keeps serving, with the current version, so that
          // a writer can replace the bad one (with the version it was read at, every write conflicts).
          if (last !== undefined) last = Object.freeze({ ...last, version });
          update(Activity.ok(last));
          return;
        }
        verdict = { accepted: true, reason: 'Accepted', message: `dtab of ${dtab.length} dentries in use` };
        report(o, true, verdict.reason, verdict.message);
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
        reReports.delete(name);
        release();
      };
    });
    const activity = Activity.fromVar(states);
    activities.set(name, activity);
    return activity;
  }

  async function update(name: string, dtab: Dtab, expectedVersion: string | undefined): Promise<StoredDtab> {
    checkName(name);
    const where = backing.where(name);
    try {
      const current =
        expectedVersion !== undefined && backing.readBeforeReplace
          ? await client.get(backing.resource, namespace, name)
          : undefined;
      if (current === undefined && expectedVersion !== undefined && backing.readBeforeReplace) {
        throw new DtabStoreConflictError(where, expectedVersion);
      }
      const body = backing.body(name, Dtab.show(dtab), expectedVersion, current ?? undefined);
      const written =
        expectedVersion === undefined
          ? await client.create(backing.resource, body)
          : await client.replace(backing.resource, body);
      return Object.freeze({ name, dtab, version: written.metadata.resourceVersion ?? '' });
    } catch (error) {
      // 409: changed (or created) since read; 404 on a read or replace: deleted since read.
      const stale =
        error instanceof KubeApiError &&
        (error.status === 409 || (error.status === 404 && expectedVersion !== undefined));
      if (stale) throw new DtabStoreConflictError(where, expectedVersion, { cause: error });
      throw error;
    }
  }

  return {
    kind: backing.kind,
    observe,
    update,
    problem() {
      const error = informer?.view.lastError;
      return error === undefined ? undefined : `${backing.resource.kind} watch: ${error.message}`;
    },
    async close() {
      stopLeader?.();
      informer?.stop();
      informer = undefined;
      await Promise.all([...reports]);
    },
  };
}

function parse(
  text: string | { readonly error: string },
  where: string,
  field: string,
): Dtab | DtabStoreInvalidError {
  if (typeof text !== 'string') return new DtabStoreInvalidError(where, `${field}: ${text.error}`);
  try {
    return Dtab.read(text);
  } catch (error) {
    return new DtabStoreInvalidError(where, `${field}: ${(error as Error).message}`, { cause: error });
  }
}
