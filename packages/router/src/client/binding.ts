/**
 * Binding with memoization, as Linkerd's DstBindingFactory: `(dtab, path)` → live name tree →
 * one bound leaf per request → a client per bound id, and a service record per name. Trees and
 * clients stay observed while they are in the cache (so namer watches keep running and each
 * request is a map lookup), and are released when evicted by size or after `idleTtlSecs` without
 * use; services and clients evicted so are reported (`RouterEviction`).
 *
 * Serves two levels: the path stack's `bind` and the client stack's `mirror` both pick leaves
 * here. It sits in client/, the lower of the two, because the one-way rule lets path import
 * client but not client import path; the shared modules see the cache as `RouterBinder`.
 */
import type { BoundName, Clock, Random, TimerHandle } from '@switchyard/core';
import { assertNever } from '@switchyard/core';
import type { Dtab, NameTree, Path } from '@switchyard/dtab';
import { LRUCache } from 'lru-cache';
import type { NoRouteReason } from '../errors.js';
import type { ServiceEntry } from '../service.js';
import type {
  BindingCacheOptions,
  RouterBinder,
  RouterEviction,
  RouterInterpreter,
  TreeEntry,
} from '../types/binding.js';
import type { Client } from './client.js';

/** Resolves once `entry` is no longer pending; `undefined` when it already is not. */
export function whenTreeResolved(entry: TreeEntry): Promise<void> | undefined {
  if (entry.state.kind !== 'pending') return undefined;
  return new Promise((resolve) => entry.waiters.push(resolve));
}

/**
 * Chooses the bound name for one request: `alt` takes its first branch that is not `neg`;
 * `union` picks a branch at random in proportion to its weight among the branches that bind
 * (finagle's Drv over the union); `neg`, `fail` and `empty` are reasons there is no route.
 */
export function pickLeaf(tree: NameTree<BoundName>, random: Random): BoundName | NoRouteReason {
  switch (tree.kind) {
    case 'leaf':
      return tree.value;
    case 'neg':
      return 'neg';
    case 'fail':
      return 'fail';
    case 'empty':
      return 'empty';
    case 'alt':
      for (const branch of tree.trees) {
        const picked = pickLeaf(branch, random);
        if (picked !== 'neg') return picked;
      }
      return 'neg';
    case 'union': {
      let total = 0;
      const live: { weight: number; tree: NameTree<BoundName> }[] = [];
      for (const branch of tree.trees) {
        if (branch.weight <= 0 || branch.tree.kind === 'neg' || branch.tree.kind === 'fail') continue;
        live.push(branch);
        total += branch.weight;
      }
      if (live.length === 0) return 'neg';
      let x = random() * total;
      for (const branch of live) {
        x -= branch.weight;
        if (x < 0) return pickLeaf(branch.tree, random);
      }
      return pickLeaf(live[live.length - 1]!.tree, random);
    }
    default:
      return assertNever(tree);
  }
}

/** The binding caches of one router. */
export class Binder implements RouterBinder {
  readonly #interpreter: RouterInterpreter;
  readonly #trees: LRUCache<string, TreeEntry>;
  readonly #clients: LRUCache<string, Client>;
  readonly #services: LRUCache<string, { readonly entry: ServiceEntry; readonly dst: Path }>;
  readonly #createClient: (id: string, bound: BoundName) => Client;
  readonly #clock: Clock;

  constructor(
    interpreter: RouterInterpreter,
    options: BindingCacheOptions,
    clock: Clock,
    createClient: (id: string, bound: BoundName) => Client,
    onEvicted: (event: RouterEviction) => void = () => {},
  ) {
    this.#interpreter = interpreter;
    this.#createClient = createClient;
    this.#clock = clock;
    const ttl = (options.idleTtlSecs ?? 600) * 1000;
    const perf = { now: () => clock.now() };
    // Idle TTLs are minutes long: reading the clock once a second (not per get) is plenty.
    const ttlResolution = 1000;
    this.#trees = new LRUCache<string, TreeEntry>({
      max: options.trees ?? 1000,
      ttl,
      updateAgeOnGet: true,
      perf,
      ttlResolution,
      dispose: (entry) => {
        entry.dispose?.();
        entry.dispose = undefined;
      },
    });
    this.#clients = new LRUCache<string, Client>({
      max: options.clients ?? 1000,
      ttl,
      updateAgeOnGet: true,
      perf,
      ttlResolution,
      dispose: (client, _id, reason) => {
        void client.close();
        if (reason === 'evict' || reason === 'expire') onEvicted({ kind: 'client', id: client.id });
      },
    });
    // Services live as long as names are used, like trees (one per path, whatever the dtab).
    this.#services = new LRUCache({
      max: options.trees ?? 1000,
      ttl,
      updateAgeOnGet: true,
      perf,
      ttlResolution,
      dispose: ({ dst }, _key, reason) => {
        if (reason === 'evict' || reason === 'expire') onEvicted({ kind: 'service', name: dst });
      },
    });
    if (ttl > 0) this.#schedulePurge(Math.max(1000, Math.min(ttl, 60_000)));
  }

  #purge: TimerHandle | undefined;
  #closed = false;

  /** Idle entries are purged by a periodic sweep (not a timer per entry). */
  #schedulePurge(every: number): void {
    if (this.#closed) return;
    this.#purge = this.#clock.setTimeout(() => {
      this.#trees.purgeStale();
      this.#clients.purgeStale();
      this.#services.purgeStale();
      this.#schedulePurge(every);
    }, every);
    unref(this.#purge);
  }

  /**
   * Forgets every bound tree (after the base dtab changed): the next request per name binds
   * afresh. Clients, their pools and connections are kept, so unchanged names lose nothing.
   */
  forgetTrees(): void {
    this.#trees.clear();
  }

  /** The bound tree cached for `key`, if any, without binding or refreshing its age. */
  peekTree(key: string): TreeEntry | undefined {
    return this.#trees.peek(key);
  }

  /**
   * The observed binding of `path` under `dtab`; `key` identifies the pair (the caller builds it
   * from text it already has, so no dtab is shown on the hot path).
   */
  tree(key: string, dtab: Dtab, path: Path): TreeEntry {
    let entry = this.#trees.get(key);
    if (entry !== undefined) return entry;
    const fresh: TreeEntry = {
      state: { kind: 'pending' },
      dispose: undefined,
      waiters: [],
    };
    entry = fresh;
    try {
      const activity = this.#interpreter.bind(dtab, path);
      fresh.dispose = activity.states.observe((state) => {
        fresh.state = state;
        if (state.kind !== 'pending' && fresh.waiters.length > 0) {
          const waiters = fresh.waiters;
          fresh.waiters = [];
          for (const w of waiters) w();
        }
      });
    } catch (err) {
      fresh.state = { kind: 'failed', error: err instanceof Error ? err : new Error(String(err)) };
    }
    this.#trees.set(key, fresh);
    return fresh;
  }

  /** The client for a bound name, created on first use. `id` is the bound id, shown. */
  client(id: string, bound: BoundName): Client {
    let client = this.#clients.get(id);
    if (client === undefined) {
      client = this.#createClient(id, bound);
      this.#clients.set(id, client);
    }
    return client;
  }

  /** The service record of `dst` (`key` is its shown path), created by `create` on first use. */
  service(key: string, dst: Path, create: () => ServiceEntry): ServiceEntry {
    let cached = this.#services.get(key);
    if (cached === undefined) {
      cached = { entry: create(), dst };
      this.#services.set(key, cached);
    }
    return cached.entry;
  }

  /** Every live client, most recently used first. */
  clients(): Client[] {
    return [...this.#clients.values()];
  }

  /** Releases every observation and closes every client (gracefully unless `force`). */
  async close(force = false): Promise<void> {
    this.#closed = true;
    if (this.#purge !== undefined) this.#clock.clearTimeout(this.#purge);
    for (const entry of this.#trees.values()) {
      entry.dispose?.();
      entry.dispose = undefined;
    }
    // Close with `force` first; the cache's own dispose then finds them closed already.
    const closing = [...this.#clients.values()].map((c) => c.close(force));
    this.#clients.clear();
    this.#trees.clear();
    this.#services.clear();
    await Promise.all(closing);
  }
}

function unref(handle: TimerHandle): void {
  const id = handle.id as { unref?: () => void } | undefined;
  id?.unref?.();
}
