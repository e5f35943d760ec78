/**
 * Informers across processes: one process (a pod's primary) runs the real list+watches and hands
 * snapshots and deltas to others (its workers) over a message channel, so a pod with N workers
 * puts one set of watches on the API server, not N. The receiving side is a
 * {@link SharedInformers} whose leases behave like real informers (store, `synced`, replayed
 * `subscribe`), so namers and identifiers do not know where their objects come from.
 *
 * The protocol is versioned plain data (structured-clone safe), discriminated on `op`:
 * - receiver → source: `acquire` (a lease id, the API connection, resource and selector) and
 *   `release`;
 * - source → receiver: `snapshot` (every object, the resourceVersion, whether the source is
 *   synced; sent once per acquire, so a receiver that starts or restarts gets the current state),
 *   then `event` (added / modified / deleted / synced, in the source informer's order).
 * A message of another version is ignored (and a receiver never gets data for it), so both ends
 * must be the same build — true for one binary's primary and workers.
 */
import type { Dispose } from '@switchyard/core';
import { createKubeClient, type KubeClient } from './client.js';
import type { KubeConnectionConfig } from './connection.js';
import type { InformerEvent, InformerListener, InformerSelector, InformerView } from './informer.js';
import { apiVersionOf, objectKey, type ResourceDescriptor } from './resources.js';
import { type InformerLease, type SharedInformers, sharedInformers } from './shared.js';
import type { KubeObject } from './types.js';

/** The protocol version of {@link InformerRelayMessage}. */
export const INFORMER_RELAY_VERSION = 1;

/** A relayed informer event: as {@link InformerEvent}, without `modified`'s `previous` (the receiver has it). */
export type RelayedEvent =
  | { readonly kind: 'added' | 'modified' | 'deleted'; readonly object: KubeObject }
  | { readonly kind: 'synced'; readonly resourceVersion: string; readonly relist: boolean };

/** Every message of the relay protocol, discriminated on `op`. */
export type InformerRelayMessage =
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'acquire';
      readonly lease: number;
      readonly connection: KubeConnectionConfig;
      readonly resource: ResourceDescriptor<KubeObject>;
      readonly selector: InformerSelector;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'release';
      readonly lease: number;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'snapshot';
      readonly lease: number;
      readonly items: readonly KubeObject[];
      readonly resourceVersion: string;
      readonly synced: boolean;
      /** The source informer's last error message, if it is failing. */
      readonly error?: string;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'event';
      readonly lease: number;
      readonly event: RelayedEvent;
      readonly resourceVersion: string;
    };

/** True for a message of this protocol and version. */
export function isInformerRelayMessage(value: unknown): value is InformerRelayMessage {
  const m = value as { kind?: unknown; v?: unknown; op?: unknown } | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.kind === 'informers' &&
    m.v === INFORMER_RELAY_VERSION &&
    typeof m.op === 'string'
  );
}

/** One end of a message channel (an IPC channel, a MessagePort). */
export interface RelayPort {
  send(message: InformerRelayMessage): void;
  /** Registers a listener for every incoming message (of any protocol); returns its dispose. */
  onMessage(listener: (message: unknown) => void): Dispose;
}

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
    const key = JSON.stringify([
      apiVersionOf(resource),
      resource.plural,
      selector.namespace ?? '',
      selector.labelSelector ?? '',
      selector.fieldSelector ?? '',
    ]);
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
    const mirror = owned.mirror as unknown as InformerView<T>;
    const subscriptions = new Set<Dispose>();
    let released = false;
    return {
      resource,
      get synced() {
        return mirror.synced;
      },
      get isSynced() {
        return mirror.isSynced;
      },
      get lastError() {
        return mirror.lastError;
      },
      get resourceVersion() {
        return mirror.resourceVersion;
      },
      snapshot: () => mirror.snapshot(),
      get: (namespace, name) => mirror.get(namespace, name),
      subscribe(listener, options) {
        if (released) return () => {};
        const dispose = mirror.subscribe(listener, options);
        subscriptions.add(dispose);
        return () => {
          subscriptions.delete(dispose);
          dispose();
        };
      },
      release() {
        if (released) return;
        released = true;
        for (const d of subscriptions) d();
        subscriptions.clear();
        if (--owned.mirror.refs > 0) return;
        owned.mirror.close();
        byLease.delete(owned.lease);
        if (byKey.get(key) === owned) byKey.delete(key);
        port.send({ kind: 'informers', v: INFORMER_RELAY_VERSION, op: 'release', lease: owned.lease });
      },
    };
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

/** What makes two connections the same client (server, TLS, credentials, proxy, impersonation). */
function connectionKey(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}

/** The source side, see {@link serveRelayedInformers}. */
export interface RelayedInformersServer {
  /** Serves the receiver at the other end of `port`; the dispose releases all its leases (call it when that peer is gone). */
  attach(port: RelayPort): Dispose;
  /** Number of running informers (over every connection). */
  readonly size: number;
  /** Stops every informer and closes the clients it made. */
  close(): Promise<void>;
}

/**
 * The source side: one client and one {@link sharedInformers} per API connection, shared by every
 * attached receiver, so N receivers watching the same resource and selector make one watch.
 * `informersFor` overrides how a connection's informers are made (tests).
 */
export function serveRelayedInformers(
  options: { readonly informersFor?: (connection: KubeConnectionConfig) => SharedInformers } = {},
): RelayedInformersServer {
  const connections = new Map<string, { client: KubeClient | undefined; informers: SharedInformers }>();
  const informersFor = (connection: KubeConnectionConfig): SharedInformers => {
    const key = connectionKey(connection);
    let c = connections.get(key);
    if (c === undefined) {
      if (options.informersFor) c = { client: undefined, informers: options.informersFor(connection) };
      else {
        const client = createKubeClient(connection);
        c = { client, informers: sharedInformers(client) };
      }
      connections.set(key, c);
    }
    return c.informers;
  };
  return {
    attach(port) {
      const leases = new Map<number, InformerLease<KubeObject>>();
      const off = port.onMessage((message) => {
        if (!isInformerRelayMessage(message)) return;
        if (message.op === 'release') {
          leases.get(message.lease)?.release();
          leases.delete(message.lease);
          return;
        }
        if (message.op !== 'acquire' || leases.has(message.lease)) return;
        const { lease: id } = message;
        const lease = informersFor(message.connection).acquire(message.resource, message.selector);
        leases.set(id, lease);
        port.send({
          kind: 'informers',
          v: INFORMER_RELAY_VERSION,
          op: 'snapshot',
          lease: id,
          items: lease.snapshot(),
          resourceVersion: lease.resourceVersion,
          synced: lease.isSynced,
          ...(lease.lastError ? { error: lease.lastError.message } : {}),
        });
        // After the snapshot, every change in the source's order (no replay: the snapshot was it).
        lease.subscribe(
          (event) => {
            port.send({
              kind: 'informers',
              v: INFORMER_RELAY_VERSION,
              op: 'event',
              lease: id,
              event:
                event.kind === 'synced'
                  ? event
                  : ({ kind: event.kind, object: event.object } as RelayedEvent),
              resourceVersion: lease.resourceVersion,
            });
          },
          { replay: false },
        );
      });
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        off();
        for (const lease of leases.values()) lease.release();
        leases.clear();
      };
    },
    get size() {
      let n = 0;
      for (const c of connections.values()) n += c.informers.size;
      return n;
    },
    async close() {
      for (const c of connections.values()) {
        c.informers.close();
        await c.client?.close();
      }
      connections.clear();
    },
  };
}
