/**
 * The cache behind an informer's read side, shared by the real informer (informer.ts, fed by
 * list + watch) and the relayed one (informer-relay-receiver.ts, fed by a source's snapshot and
 * deltas): the objects by namespace/name, the frozen sorted snapshot, the resourceVersion, the
 * synced state, and listeners with replay. Whoever feeds it calls the mutators; consumers see only
 * the {@link InformerView} it implements.
 */
import type { Dispose } from '@switchyard/core';
import { objectKey, type ResourceDescriptor } from './resources.js';
import type { KubeObject } from './types.js';

/**
 * A change seen by informer consumers, discriminated on `kind`.
 * - `added` / `modified` / `deleted`: one object changed (`deleted` carries its last known state,
 *   `modified` also the previous one);
 * - `synced`: the store now equals a complete list, emitted after the first list's `added` events
 *   (`relist: false`) and after the difference emitted by each relist (`relist: true`). Consumers
 *   that rebuild an index may do it once per `synced` instead of once per event.
 */
export type InformerEvent<T extends KubeObject> =
  | { readonly kind: 'added'; readonly object: T }
  | { readonly kind: 'modified'; readonly object: T; readonly previous: T }
  | { readonly kind: 'deleted'; readonly object: T }
  | { readonly kind: 'synced'; readonly resourceVersion: string; readonly relist: boolean };

/** Receives informer events; it runs synchronously, after the store has been updated. */
export type InformerListener<T extends KubeObject> = (event: InformerEvent<T>) => void;

/** The read side of an informer, shared by {@link Informer} and {@link InformerLease}. */
export interface InformerView<T extends KubeObject> {
  /** The resource this informer tracks. */
  readonly resource: ResourceDescriptor<T>;
  /** Resolves after the first complete list. Never rejects: errors are retried forever. */
  readonly synced: Promise<void>;
  /** True once the first complete list has been stored. */
  readonly isSynced: boolean;
  /** The last list or watch error, cleared when a later list or watch succeeds; `undefined` when healthy. */
  readonly lastError: Error | undefined;
  /** The resourceVersion the store is current to ('' before the first list). */
  readonly resourceVersion: string;
  /** Every object, ordered by namespace/name. The array is frozen and reused until the next change. */
  snapshot(): readonly T[];
  /** One object by namespace and name (namespace `undefined` for cluster-scoped resources). */
  get(namespace: string | undefined, name: string): T | undefined;
  /**
   * Registers `listener`. With `replay` (default true) it first receives an `added` event for each
   * stored object and, if synced, a `synced` event, so a late consumer sees the same stream as an
   * early one. Returns a dispose function.
   */
  subscribe(listener: InformerListener<T>, options?: { replay?: boolean }): Dispose;
}

/** How many objects a {@link InformerStore.replace} added, modified and deleted. */
export interface StoreDifference {
  readonly added: number;
  readonly modified: number;
  readonly deleted: number;
}

/** An informer's store and listeners; see the module comment. */
export class InformerStore<T extends KubeObject> implements InformerView<T> {
  readonly resource: ResourceDescriptor<T>;
  readonly synced: Promise<void>;
  /** The resourceVersion the store is current to; set by the feeder. */
  resourceVersion = '';
  /** The feeder's last error; `undefined` when healthy. */
  lastError: Error | undefined;
  #objects = new Map<string, T>();
  #snapshot: readonly T[] | undefined;
  #listeners = new Set<InformerListener<T>>();
  #isSynced = false;
  #resolveSynced!: () => void;
  #onListenerError: (error: unknown) => void;

  /** `onListenerError` hears a listener's throw (the other listeners still run). */
  constructor(resource: ResourceDescriptor<T>, onListenerError: (error: unknown) => void = () => undefined) {
    this.resource = resource;
    this.#onListenerError = onListenerError;
    this.synced = new Promise((resolve) => {
      this.#resolveSynced = resolve;
    });
  }

  get isSynced(): boolean {
    return this.#isSynced;
  }

  /** Number of objects stored. */
  get size(): number {
    return this.#objects.size;
  }

  snapshot(): readonly T[] {
    if (!this.#snapshot) {
      const keys = [...this.#objects.keys()].sort();
      this.#snapshot = Object.freeze(keys.map((k) => this.#objects.get(k)!));
    }
    return this.#snapshot;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(namespace ? `${namespace}/${name}` : name);
  }

  subscribe(listener: InformerListener<T>, options: { replay?: boolean } = {}): Dispose {
    if (options.replay !== false) {
      for (const object of this.snapshot()) listener({ kind: 'added', object });
      if (this.#isSynced) listener({ kind: 'synced', resourceVersion: this.resourceVersion, relist: false });
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Replaces every object with `items` (a list, a relist, a relayed snapshot) and emits the
   * difference: what a consumer would have seen had it followed every change.
   */
  replace(items: readonly T[]): StoreDifference {
    const next = new Map<string, T>();
    for (const item of items) next.set(objectKey(item), item);
    const previous = this.#objects;
    this.#objects = next;
    this.#snapshot = undefined;
    let added = 0;
    let modified = 0;
    let deleted = 0;
    for (const [key, object] of next) {
      const old = previous.get(key);
      if (!old) {
        added++;
        this.#emit({ kind: 'added', object });
      } else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
        modified++;
        this.#emit({ kind: 'modified', object, previous: old });
      }
    }
    for (const [key, object] of previous) {
      if (!next.has(key)) {
        deleted++;
        this.#emit({ kind: 'deleted', object });
      }
    }
    return { added, modified, deleted };
  }

  /** Stores `object` (emitting `added` or `modified`); `false` when it was already stored at that resourceVersion. */
  put(object: T): boolean {
    const key = objectKey(object);
    const old = this.#objects.get(key);
    if (old && old.metadata.resourceVersion === object.metadata.resourceVersion) return false;
    this.#objects.set(key, object);
    this.#snapshot = undefined;
    this.#emit(old ? { kind: 'modified', object, previous: old } : { kind: 'added', object });
    return true;
  }

  /** Removes `object`'s key, emitting `deleted` with `object` if it was stored. */
  remove(object: T): void {
    const key = objectKey(object);
    if (!this.#objects.delete(key)) return;
    this.#snapshot = undefined;
    this.#emit({ kind: 'deleted', object });
  }

  /** The store now equals a complete list: emits `synced` and resolves {@link synced}. */
  markSynced(relist: boolean): void {
    this.#isSynced = true;
    this.#emit({ kind: 'synced', resourceVersion: this.resourceVersion, relist });
    this.#resolveSynced();
  }

  /** Drops every listener (the objects stay: last known good). */
  clearListeners(): void {
    this.#listeners.clear();
  }

  #emit(event: InformerEvent<T>): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // A faulty consumer must not break the feeder or other consumers.
        this.#onListenerError(error);
      }
    }
  }
}
