/**
 * The receiving side of the informer relay (see informer-relay.ts): informers whose store is fed
 * by a source's snapshot and deltas, behind the {@link SharedInformers} interface.
 */
import type { Dispose } from '@switchyard/core';
import type { KubeConnectionConfig } from './connection.js';
import type { InformerEvent, InformerListener, InformerSelector, InformerView } from './informer.js';
import {
  INFORMER_RELAY_VERSION,
  isInformerRelayMessage,
  type RelayedEvent,
  type RelayPort,
} from './informer-relay.js';
import { objectKey, type ResourceDescriptor } from './resources.js';
import { type InformerLease, informerKey, leaseOver, type SharedInformers } from './shared.js';
import type { KubeObject } from './types.js';

let nextLease = 1;

/** The receiving side's copy of one informer, fed by relay messages. */
class Mirror implements InformerView<KubeObject> {
  readonly resource: ResourceDescriptor<KubeObject>;
  readonly synced: Promise<void>;
  refs = 0;
  #store = new Map<string, KubeObject>();
  #snapshot: readonly KubeObject[] | undefined;
  #listeners = new Set<InformerListener<KubeObject>>();
  #rv = '';
  #isSynced = false;
  #lastError: Error | undefined;
  #resolveSynced!: () => void;

  constructor(resource: ResourceDescriptor<KubeObject>) {
    this.resource = resource;
    this.synced = new Promise((resolve) => {
      this.#resolveSynced = resolve;
    });
  }

  get isSynced(): boolean {
    return this.#isSynced;
  }
  get lastError(): Error | undefined {
    return this.#lastError;
  }
  get resourceVersion(): string {
    return this.#rv;
  }

  snapshot(): readonly KubeObject[] {
    if (!this.#snapshot) {
      const keys = [...this.#store.keys()].sort();
      this.#snapshot = Object.freeze(keys.map((k) => this.#store.get(k)!));
    }
    return this.#snapshot;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#store.get(namespace ? `${namespace}/${name}` : name);
  }

  subscribe(listener: InformerListener<KubeObject>, options: { replay?: boolean } = {}): Dispose {
    if (options.replay !== false) {
      for (const object of this.snapshot()) listener({ kind: 'added', object });
      if (this.#isSynced) listener({ kind: 'synced', resourceVersion: this.#rv, relist: false });
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Replaces the store, emitting the difference (as an informer's relist does). */
  applySnapshot(
    items: readonly KubeObject[],
    resourceVersion: string,
    synced: boolean,
    error?: string,
  ): void {
    const next = new Map<string, KubeObject>();
    for (const item of items) next.set(objectKey(item), item);
    const previous = this.#store;
    this.#store = next;
    this.#snapshot = undefined;
    this.#rv = resourceVersion;
    this.#lastError = error === undefined ? undefined : new Error(error);
    for (const [key, object] of next) {
      const old = previous.get(key);
      if (!old) this.#emit({ kind: 'added', object });
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
        this.#emit({ kind: 'modified', object, previous: old });
      }
    }
    for (const [key, object] of previous) if (!next.has(key)) this.#emit({ kind: 'deleted', object });
    if (synced) this.#markSynced(resourceVersion, this.#isSynced);
  }

  applyEvent(event: RelayedEvent, resourceVersion: string): void {
    this.#rv = resourceVersion;
    this.#lastError = undefined;
    if (event.kind === 'synced') {
      this.#markSynced(event.resourceVersion, event.relist);
      return;
    }
    const object = event.object;
    const key = objectKey(object);
    const old = this.#store.get(key);
    this.#snapshot = undefined;
    if (event.kind === 'deleted') {
      if (!old) return;
      this.#store.delete(key);
      this.#emit({ kind: 'deleted', object });
      return;
    }
    this.#store.set(key, object);
    this.#emit(old ? { kind: 'modified', object, previous: old } : { kind: 'added', object });
  }

  close(): void {
    this.#listeners.clear();
  }

  #markSynced(resourceVersion: string, relist: boolean): void {
    this.#isSynced = true;
    this.#emit({ kind: 'synced', resourceVersion, relist });
    this.#resolveSynced();
  }

  #emit(event: InformerEvent<KubeObject>): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty consumer must not break the others (as with a real informer).
      }
    }
  }
}

/**
 * The receiving side: informers for the API server `connection`, fed through `port` by a
 * {@link serveRelayedInformers} at the other end. One `acquire` message per resource + selector,
 * however many leases; `release` when the last lease goes.
 */
export function relayedInformers(port: RelayPort, connection: KubeConnectionConfig): SharedInformers {
  const byKey = new Map<string, { mirror: Mirror; lease: number }>();
  const byLease = new Map<number, Mirror>();
  const off = port.onMessage((message) => {
    if (!isInformerRelayMessage(message)) return;
    const mirror = byLease.get(message.lease);
    if (mirror === undefined) return;
    if (message.op === 'snapshot') {
      mirror.applySnapshot(message.items, message.resourceVersion, message.synced, message.error);
    } else if (message.op === 'event') mirror.applyEvent(message.event, message.resourceVersion);
  });

  function acquire<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    selector: InformerSelector = {},
  ): InformerLease<T> {
    const key = informerKey(resource as unknown as ResourceDescriptor<KubeObject>, selector);
    let entry = byKey.get(key);
    if (entry === undefined) {
      const lease = nextLease++;
      const mirror = new Mirror(resource as unknown as ResourceDescriptor<KubeObject>);
      entry = { mirror, lease };
      byKey.set(key, entry);
      byLease.set(lease, mirror);
      port.send({
        kind: 'informers',
        v: INFORMER_RELAY_VERSION,
        op: 'acquire',
        lease,
        connection,
        resource: { ...resource } as ResourceDescriptor<KubeObject>,
        selector: { ...selector },
      });
    }
    const owned = entry;
    owned.mirror.refs++;
    return leaseOver(resource, owned.mirror as unknown as InformerView<T>, () => {
      if (--owned.mirror.refs > 0) return;
      owned.mirror.close();
      byLease.delete(owned.lease);
      if (byKey.get(key) === owned) byKey.delete(key);
      port.send({ kind: 'informers', v: INFORMER_RELAY_VERSION, op: 'release', lease: owned.lease });
    });
  }

  return {
    acquire,
    get size() {
      return byKey.size;
    },
    close() {
      for (const { mirror, lease } of byKey.values()) {
        mirror.close();
        port.send({ kind: 'informers', v: INFORMER_RELAY_VERSION, op: 'release', lease });
      }
      byKey.clear();
      byLease.clear();
      off();
    },
  };
}
