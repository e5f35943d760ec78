/**
 * The receiving side of the informer relay (see informer-relay.ts): informers whose store is fed
 * by a source's snapshot and deltas, behind the {@link SharedInformers} interface.
 */
import type { KubeConnectionConfig } from './connection.js';
import type { InformerSelector, InformerView } from './informer.js';
import {
  INFORMER_RELAY_VERSION,
  type InformerRelayMessage,
  isInformerRelayMessage,
  type RelayedEvent,
  type RelayPort,
} from './informer-relay.js';
import { InformerStore } from './informer-store.js';
import type { ResourceDescriptor } from './resources.js';
import { type InformerLease, informerKey, leaseOver, type SharedInformers } from './shared.js';
import type { KubeObject } from './types.js';

let nextLease = 1;

/** The receiving side's copy of one informer: a store fed by relay messages, and its lease count. */
interface Mirror {
  readonly store: InformerStore<KubeObject>;
  readonly lease: number;
  refs: number;
}

/** A relayed snapshot: replaces the store, emitting the difference (as an informer's relist does). */
function applySnapshot(
  store: InformerStore<KubeObject>,
  message: Extract<InformerRelayMessage, { op: 'snapshot' }>,
): void {
  store.resourceVersion = message.resourceVersion;
  store.lastError = message.error === undefined ? undefined : new Error(message.error);
  const wasSynced = store.isSynced;
  store.replace(message.items);
  if (message.synced) store.markSynced(wasSynced);
}

/** A relayed change, in the source informer's order. */
function applyEvent(store: InformerStore<KubeObject>, event: RelayedEvent, resourceVersion: string): void {
  store.resourceVersion = resourceVersion;
  store.lastError = undefined;
  if (event.kind === 'synced') store.markSynced(event.relist);
  else if (event.kind === 'deleted') store.remove(event.object);
  else store.put(event.object);
}

/**
 * The receiving side: informers for the API server `connection`, fed through `port` by a
 * {@link serveRelayedInformers} at the other end. One `acquire` message per resource + selector,
 * however many leases; `release` when the last lease goes.
 */
export function relayedInformers(port: RelayPort, connection: KubeConnectionConfig): SharedInformers {
  const byKey = new Map<string, Mirror>();
  const byLease = new Map<number, Mirror>();
  const off = port.onMessage((message) => {
    if (!isInformerRelayMessage(message)) return;
    const mirror = byLease.get(message.lease);
    if (mirror === undefined) return;
    if (message.op === 'snapshot') applySnapshot(mirror.store, message);
    else if (message.op === 'event') applyEvent(mirror.store, message.event, message.resourceVersion);
  });

  function acquire<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    selector: InformerSelector = {},
  ): InformerLease<T> {
    const key = informerKey(resource as unknown as ResourceDescriptor<KubeObject>, selector);
    let mirror = byKey.get(key);
    if (mirror === undefined) {
      const lease = nextLease++;
      mirror = {
        store: new InformerStore(resource as unknown as ResourceDescriptor<KubeObject>),
        lease,
        refs: 0,
      };
      byKey.set(key, mirror);
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
    const owned = mirror;
    owned.refs++;
    return leaseOver(resource, owned.store as unknown as InformerView<T>, () => {
      if (--owned.refs > 0) return;
      owned.store.clearListeners();
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
      for (const { store, lease } of byKey.values()) {
        store.clearListeners();
        port.send({ kind: 'informers', v: INFORMER_RELAY_VERSION, op: 'release', lease });
      }
      byKey.clear();
      byLease.clear();
      off();
    },
  };
}
