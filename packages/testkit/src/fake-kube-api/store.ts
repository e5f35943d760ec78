/**
 * The fake API server's storage: one global resourceVersion counter (etcd's revision), the
 * current objects per resource, and a bounded history of changes. The history is what makes
 * resourceVersion semantics real: a watch from version R replays the changes after R, a continue
 * token at R lists the state as of R, and anything older than the retained window is 410 Gone.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '@switchyard/k8s';

/** One stored change. `prev` is the state before (for MODIFIED and DELETED). */
export interface Change {
  readonly rv: number;
  readonly storage: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change; for DELETED, the last state stamped with the deletion version. */
  readonly object: KubeObject;
  readonly prev: KubeObject | undefined;
}

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace
    ? `${obj.metadata.namespace}/${obj.metadata.name}`
    : (obj.metadata.name ?? '');
}

export class Store {
  #rv = 1;
  /** The oldest version a watch or continue token may start from. */
  #compacted = 1;
  #historyLimit: number;
  #objects = new Map<string, Map<string, KubeObject>>();
  #sortedKeys = new Map<string, string[]>();
  #log: Change[] = [];
  #listeners = new Set<(c: Change) => void>();

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  get rv(): number {
    return this.#rv;
  }

  get compacted(): number {
    return this.#compacted;
  }

  onChange(f: (c: Change) => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  #bucket(storage: string): Map<string, KubeObject> {
    let b = this.#objects.get(storage);
    if (!b) {
      b = new Map();
      this.#objects.set(storage, b);
    }
    return b;
  }

  current(storage: string, key: string): KubeObject | undefined {
    return this.#objects.get(storage)?.get(key);
  }

  /** Stores `obj` (create or replace), stamping uid, creationTimestamp and a new resourceVersion. */
  put(storage: string, obj: KubeObject, now: Date): KubeObject {
    const bucket = this.#bucket(storage);
    const key = keyOf(obj);
    const prev = bucket.get(key);
    const rv = ++this.#rv;
    const stored: KubeObject = structuredClone({
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: prev?.metadata.uid ?? obj.metadata.uid ?? randomUUID(),
        creationTimestamp:
          prev?.metadata.creationTimestamp ??
          obj.metadata.creationTimestamp ??
          now.toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(rv),
      },
    });
    bucket.set(key, stored);
    if (!prev) this.#sortedKeys.delete(storage);
    this.#record({ rv, storage, type: prev ? 'MODIFIED' : 'ADDED', object: stored, prev });
    return stored;
  }

  /** Deletes; the DELETED event carries the last state with the deletion's resourceVersion. */
  remove(storage: string, key: string): KubeObject | undefined {
    const bucket = this.#bucket(storage);
    const prev = bucket.get(key);
    if (!prev) return undefined;
    bucket.delete(key);
    this.#sortedKeys.delete(storage);
    const rv = ++this.#rv;
    const object = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    this.#record({ rv, storage, type: 'DELETED', object, prev });
    return object;
  }

  #record(change: Change): void {
    this.#log.push(change);
    if (this.#log.length > this.#historyLimit) {
      const dropped = this.#log.splice(0, this.#log.length - this.#historyLimit);
      this.#compacted = dropped[dropped.length - 1]!.rv;
    }
    for (const f of this.#listeners) f(change);
  }

  /**
   * Forgets all history and advances the revision (as etcd's own writes do), so every version
   * issued so far is too old while a fresh list still yields a watchable one.
   */
  compact(): void {
    this.#rv++;
    this.#log = [];
    this.#compacted = this.#rv;
  }

  /** Changes to `storage` after version `from`, oldest first. Caller checks `from >= compacted`. */
  changesSince(storage: string, from: number): Change[] {
    const out: Change[] = [];
    for (let i = this.#log.length - 1; i >= 0; i--) {
      const c = this.#log[i]!;
      if (c.rv <= from) break;
      if (c.storage === storage) out.push(c);
    }
    return out.reverse();
  }

  /** Sorted keys and objects of `storage` as of version `at` (≥ compacted). */
  stateAt(storage: string, at: number): { keys: string[]; objects: Map<string, KubeObject> } {
    const bucket = this.#bucket(storage);
    if (at >= this.#rv) {
      let keys = this.#sortedKeys.get(storage);
      if (!keys) {
        keys = [...bucket.keys()].sort();
        this.#sortedKeys.set(storage, keys);
      }
      return { keys, objects: bucket };
    }
    const objects = new Map(bucket);
    for (let i = this.#log.length - 1; i >= 0; i--) {
      const c = this.#log[i]!;
      if (c.rv <= at) break;
      if (c.storage !== storage) continue;
      const key = keyOf(c.object);
      if (c.type === 'ADDED') objects.delete(key);
      else objects.set(key, c.prev!);
    }
    return { keys: [...objects.keys()].sort(), objects };
  }
}
