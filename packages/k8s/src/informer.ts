/**
 * Informers: a local cache of one resource kept current by list + watch, the reflector pattern of
 * client-go. The loop is:
 *
 * 1. list every page (one consistent snapshot) and replace the store;
 * 2. watch from the list's resourceVersion with `allowWatchBookmarks`;
 * 3. on a clean end (server `timeoutSeconds`), watch again from the last seen resourceVersion;
 * 4. on a broken stream, back off (jittered, exponential) and resume from the last seen version;
 * 5. on 410 Gone/Expired, relist and emit only the difference between the old and new store.
 *
 * The store is last-known-good: failures never empty it, a relist swaps it atomically. These are
 * the semantics of the Kubernetes "API Concepts" page, sections "Efficient detection of changes",
 * "Watch bookmarks" and "Resource versions"; resourceVersions are treated as opaque strings and
 * compared only for equality, as that page requires.
 *
 * Longer than ~300 lines on purpose: the reflector loop (list, watch, relist, backoff, bookmarks,
 * store diff) is one state machine.
 */
import {
  type Clock,
  type Counter,
  type Dispose,
  nullStats,
  type Random,
  type Stats,
  type TimerHandle,
} from '@switchyard/core';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { KubeClient, WatchEvent } from './client.js';
import { KubeApiError, KubeGoneError } from './errors.js';
import { type InformerListener, InformerStore, type InformerView } from './informer-store.js';
import { apiVersionOf, type ResourceDescriptor } from './resources.js';
import { k8sChannels } from './runtime.js';
import type { KubeObject } from './types.js';

/** Which objects an informer tracks. */
export interface InformerSelector {
  /** One namespace; absent means all namespaces. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Options of {@link createInformer}. */
export interface InformerOptions extends InformerSelector {
  /**
   * The first list asks for `resourceVersion=0` (any version, served from the API server's cache),
   * falling back to a consistent list if that fails with 410 or 504; relists are always
   * consistent. Default true; false makes every list consistent.
   */
  readonly initialListFromCache?: boolean;
  /** Page size of lists. Default 500. */
  readonly pageSize?: number;
  /**
   * Server-side watch timeout, seconds. Default: uniform in [300, 600) like client-go's reflector,
   * so that many watches do not all renew at the same moment.
   */
  readonly watchTimeoutSeconds?: number;
  /** Retry backoff after errors. */
  readonly backoff?: BackoffOptions;
  /** Counters `lists`, `relists`, `watches`, `watch_errors`, `events`; gauge `objects`. Default none. */
  readonly stats?: Stats;
  /** Default the client's clock and random. */
  readonly clock?: Clock;
  readonly random?: Random;
}

export type { InformerEvent, InformerListener, InformerView } from './informer-store.js';

const listenerErrors = k8sChannels.watchError;

/**
 * A running informer (a lifecycle resource). Create with {@link createInformer}; it starts at once
 * and runs until {@link Informer.stop}.
 */
export class Informer<T extends KubeObject> implements InformerView<T> {
  readonly resource: ResourceDescriptor<T>;
  readonly synced: Promise<void>;
  #client: KubeClient;
  #options: InformerOptions;
  #clock: Clock;
  #random: Random;
  // Events received on the current watch stream, so a break after progress resets the backoff.
  #watchEvents = 0;
  #store: InformerStore<T>;
  #stopped = false;
  #abort = new AbortController();
  #timer: TimerHandle | undefined;
  #wake: (() => void) | undefined;
  #counters: Record<'lists' | 'relists' | 'watches' | 'watchErrors' | 'events', Counter>;
  #dispose: Dispose;

  constructor(client: KubeClient, resource: ResourceDescriptor<T>, options: InformerOptions = {}) {
    this.resource = resource;
    this.#client = client;
    this.#options = options;
    this.#clock = options.clock ?? client.clock;
    this.#random = options.random ?? client.random;
    this.#store = new InformerStore(resource, (error) => {
      if (listenerErrors.hasSubscribers) listenerErrors.publish({ ...this.#detail, error, retryInMs: -1 });
    });
    this.synced = this.#store.synced;
    const stats = options.stats ?? nullStats;
    this.#counters = {
      lists: stats.counter('lists'),
      relists: stats.counter('relists'),
      watches: stats.counter('watches'),
      watchErrors: stats.counter('watch_errors'),
      events: stats.counter('events'),
    };
    const gauge = stats.gauge(['objects'], () => this.#store.size);
    this.#dispose = () => gauge.dispose();
    void this.#run();
  }

  get isSynced(): boolean {
    return this.#store.isSynced;
  }

  get lastError(): Error | undefined {
    return this.#store.lastError;
  }

  get resourceVersion(): string {
    return this.#store.resourceVersion;
  }

  snapshot(): readonly T[] {
    return this.#store.snapshot();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(namespace, name);
  }

  subscribe(listener: InformerListener<T>, options: { replay?: boolean } = {}): Dispose {
    return this.#store.subscribe(listener, options);
  }

  /** Stops watching; the store keeps its last state. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#wake?.();
    this.#store.clearListeners();
    this.#dispose();
  }

  get #detail() {
    return {
      resource: `${apiVersionOf(this.resource)}/${this.resource.plural}`,
      namespace: this.#options.namespace,
    };
  }

  async #run(): Promise<void> {
    let needList = true;
    let relistReason: string | undefined;
    let attempt = 0;
    // Consecutive 410s: only the first relists at once, so a server whose list versions are
    // already compacted (extreme churn) cannot drive a tight list loop.
    let goneStreak = 0;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list(relistReason);
          needList = false;
          attempt = 0;
        }
        const started = this.#clock.now();
        this.#watchEvents = 0;
        const events = await this.#watch();
        // A clean end is the server's timeout: renew at once. A stream that closes immediately
        // with nothing in it is treated as a failure so a misbehaving server cannot spin us.
        if (events > 0 || this.#clock.now() - started >= 1000) {
          attempt = 0;
          goneStreak = 0;
          continue;
        }
        await this.#sleep(backoffDelay(attempt++, this.#random, this.#options.backoff));
      } catch (err) {
        if (this.#stopped) return;
        const error = err as Error;
        this.#store.lastError = error;
        this.#counters.watchErrors.incr();
        // A stream that delivered events before breaking made progress: back off from the start.
        if (this.#watchEvents > 0) {
          attempt = 0;
          goneStreak = 0;
          this.#watchEvents = 0;
        }
        if (error instanceof KubeGoneError || isTooLargeResourceVersion(error)) {
          // The version we hold was compacted away (410), or the server we reached is behind it
          // (504 "Too large resource version", e.g. a lagging apiserver's watch cache after a
          // failover): only a fresh list can catch up.
          const immediate = !needList && goneStreak++ === 0;
          needList = true;
          relistReason = 'expired';
          if (immediate) {
            this.#publishError(error, 0);
            continue;
          }
        }
        const delay = backoffDelay(attempt++, this.#random, this.#options.backoff);
        this.#publishError(error, delay);
        await this.#sleep(delay);
      }
    }
  }

  #publishError(error: Error, retryInMs: number): void {
    if (k8sChannels.watchError.hasSubscribers) {
      k8sChannels.watchError.publish({ ...this.#detail, error, retryInMs });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stopped) return resolve();
      this.#wake = resolve;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#wake = undefined;
        resolve();
      }, ms);
    });
  }

  async #list(reason: string | undefined): Promise<void> {
    const o = this.#options;
    const listAt = (resourceVersion: string | undefined) =>
      this.#client.listAll(this.resource, {
        namespace: o.namespace,
        labelSelector: o.labelSelector,
        fieldSelector: o.fieldSelector,
        limit: o.pageSize ?? 500,
        resourceVersion,
        signal: this.#abort.signal,
      });
    let list: Awaited<ReturnType<typeof listAt>>;
    if (!this.#store.isSynced && this.#options.initialListFromCache !== false) {
      // The first list may be served from the API server's watch cache ("0": any version), as
      // client-go's reflector does, sparing etcd a quorum read at startup. If that version is
      // unusable (410, or 504 too large), fall back to a consistent read.
      try {
        list = await listAt('0');
      } catch (err) {
        if (!(err instanceof KubeGoneError || isTooLargeResourceVersion(err))) throw err;
        list = await listAt(undefined);
      }
    } else {
      // A relist follows an expired version: read the latest state.
      list = await listAt(undefined);
    }
    if (this.#stopped) return;
    this.#counters.lists.incr();
    this.#store.lastError = undefined;
    const store = this.#store;
    store.resourceVersion = list.metadata.resourceVersion ?? '';
    const relist = store.isSynced;
    // Emit the difference: what a consumer would have seen had the watch never broken.
    const { added, modified, deleted } = store.replace(list.items);
    if (k8sChannels.list.hasSubscribers) {
      k8sChannels.list.publish({
        ...this.#detail,
        items: store.size,
        resourceVersion: store.resourceVersion,
      });
    }
    if (relist) {
      this.#counters.relists.incr();
      if (k8sChannels.relist.hasSubscribers) {
        k8sChannels.relist.publish({ ...this.#detail, reason: reason ?? 'error', added, modified, deleted });
      }
    }
    store.markSynced(relist);
  }

  /** One watch stream; returns the number of events received when the server ends it cleanly. */
  async #watch(): Promise<number> {
    const o = this.#options;
    const timeoutSeconds = o.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.#random()));
    this.#counters.watches.incr();
    if (k8sChannels.watchStart.hasSubscribers) {
      k8sChannels.watchStart.publish({ ...this.#detail, resourceVersion: this.#store.resourceVersion });
    }
    let events = 0;
    for await (const event of this.#client.watch(this.resource, {
      namespace: o.namespace,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
      resourceVersion: this.#store.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal: this.#abort.signal,
    })) {
      if (this.#stopped) return events;
      events++;
      this.#watchEvents++;
      this.#store.lastError = undefined;
      this.#counters.events.incr();
      this.#apply(event);
    }
    if (k8sChannels.watchEnd.hasSubscribers) {
      k8sChannels.watchEnd.publish({ ...this.#detail, resourceVersion: this.#store.resourceVersion, events });
    }
    return events;
  }

  #apply(event: WatchEvent<T>): void {
    const store = this.#store;
    if (event.kind === 'bookmark') {
      if (event.resourceVersion) store.resourceVersion = event.resourceVersion;
      return;
    }
    const object = event.object;
    const rv = object.metadata.resourceVersion;
    if (rv) store.resourceVersion = rv;
    if (event.kind === 'deleted') store.remove(object);
    // The same version again (a replay after resuming) is not a change: put ignores it.
    else store.put(object);
  }
}

/**
 * True for the API server's "Too large resource version" (504 Timeout, cause
 * `ResourceVersionTooLarge`): the requested version is newer than what this server has seen.
 */
export function isTooLargeResourceVersion(err: unknown): boolean {
  if (!(err instanceof KubeApiError) || err.status !== 504) return false;
  const body = err.body as { message?: string; details?: { causes?: { reason?: string }[] } } | undefined;
  return (
    body?.details?.causes?.some((c) => c.reason === 'ResourceVersionTooLarge') === true ||
    /Too large resource version/i.test(body?.message ?? '')
  );
}

/**
 * Starts an informer for `resource`: list, then watch, forever, until `stop()`. Prefer
 * {@link sharedInformers} when several consumers may watch the same resource and selector.
 */
export function createInformer<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceDescriptor<T>,
  options: InformerOptions = {},
): Informer<T> {
  return new Informer(client, resource, options);
}
