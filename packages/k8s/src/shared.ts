/**
 * One watch per resource, namespace and selector, however many consumers ask. The ingress
 * identifier, the namer and the status writer all want Services; without sharing, each would open
 * its own list+watch and multiply the load on the API server. Leases are ref-counted: the informer
 * starts with the first lease and stops when the last one is released.
 */
import type { Dispose } from '@switchyard/core';
import type { KubeClient } from './client.js';
import {
  createInformer,
  type Informer,
  type InformerOptions,
  type InformerSelector,
  type InformerView,
} from './informer.js';
import { apiVersionOf, type ResourceDescriptor } from './resources.js';
import type { KubeObject } from './types.js';

/**
 * A consumer's handle on a shared informer: the read API, plus `release()`. Listeners registered
 * through a lease are removed when it is released. Releasing twice is a no-op.
 */
export interface InformerLease<T extends KubeObject> extends InformerView<T> {
  release(): void;
}

/** A cache of informers keyed by resource + namespace + selectors. Create with {@link sharedInformers}. */
export interface SharedInformers {
  /**
   * A lease on the informer for `resource` and `selector`, starting it if this is the first lease.
   * Options other than the selector (page size, backoff, stats) come from the cache's defaults.
   */
  acquire<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    selector?: InformerSelector,
  ): InformerLease<T>;
  /** Number of running informers. */
  readonly size: number;
  /** Stops every informer; outstanding leases keep their last state. */
  close(): void;
}

/** The cache key of an informer: resource, namespace and selectors (a relay uses the same). */
export function informerKey(resource: ResourceDescriptor<KubeObject>, selector: InformerSelector): string {
  return JSON.stringify([
    apiVersionOf(resource),
    resource.plural,
    selector.namespace ?? '',
    selector.labelSelector ?? '',
    selector.fieldSelector ?? '',
  ]);
}

/**
 * A lease over `view`: its read API, with the listeners subscribed through it removed on
 * `release()`, which then runs the owner's bookkeeping (`onRelease`) once. Releasing
 * twice is a no-op.
 */
export function leaseOver<T extends KubeObject>(
  resource: ResourceDescriptor<T>,
  view: InformerView<T>,
  onRelease: () => void,
): InformerLease<T> {
  const subscriptions = new Set<Dispose>();
  let released = false;
  return {
    resource,
    get synced() {
      return view.synced;
    },
    get isSynced() {
      return view.isSynced;
    },
    get lastError() {
      return view.lastError;
    },
    get resourceVersion() {
      return view.resourceVersion;
    },
    snapshot: () => view.snapshot(),
    get: (namespace, name) => view.get(namespace, name),
    subscribe(listener, options) {
      if (released) return () => {};
      const dispose = view.subscribe(listener, options);
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
      onRelease();
    },
  };
}

interface Entry {
  informer: Informer<KubeObject>;
  refs: number;
}

/** Creates an informer cache over `client`. `defaults` apply to every informer it starts. */
export function sharedInformers(
  client: KubeClient,
  defaults: Omit<InformerOptions, keyof InformerSelector> = {},
): SharedInformers {
  const entries = new Map<string, Entry>();

  function acquire<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    selector: InformerSelector = {},
  ): InformerLease<T> {
    const key = informerKey(resource as unknown as ResourceDescriptor<KubeObject>, selector);
    let entry = entries.get(key);
    if (!entry) {
      const informer = createInformer(client, resource, { ...defaults, ...selector });
      entry = { informer: informer as unknown as Informer<KubeObject>, refs: 0 };
      entries.set(key, entry);
    }
    entry.refs++;
    const owned = entry;
    return leaseOver(resource, owned.informer as unknown as Informer<T>, () => {
      owned.refs--;
      if (owned.refs === 0) {
        owned.informer.stop();
        if (entries.get(key) === owned) entries.delete(key);
      }
    });
  }

  return {
    acquire,
    get size() {
      return entries.size;
    },
    close() {
      for (const e of entries.values()) e.informer.stop();
      entries.clear();
    },
  };
}
