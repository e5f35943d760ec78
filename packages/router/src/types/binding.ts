/**
 * The binding cache as the shared modules see it: its options, its eviction events, the
 * interpreter it binds with and the surface of the `Binder` class (`client/binding.ts`), as
 * types, so that the options, the runtime record and `closeWhenIdle` need not import a level.
 */
import type { Activity, ActivityState, BoundName, Dispose } from '@switchyard/core';
import type { Dtab, NameTree, Path } from '@switchyard/dtab';
import type { ServiceEntry } from '../service.js';
import type { BoundClient } from './client.js';

/**
 * A service (logical name) or client (bound name) the router dropped from its caches: idle for
 * `idleTtlSecs` or beyond the cache's size. Not sent when the router closes or swaps its binder.
 */
export type RouterEviction =
  | { readonly kind: 'service'; readonly name: Path }
  | { readonly kind: 'client'; readonly id: string };

/** What the router needs of a name interpreter (core's `createInterpreter` provides it). */
export interface RouterInterpreter {
  /** Binds `path` under `dtab` to a live tree of bound names. */
  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>>;
}

/** Linkerd's `bindingCache`. Defaults: 1000 each, idle TTL 600 s. */
export interface BindingCacheOptions {
  /** Distinct (dtab, path) pairs kept bound. Linkerd's `paths`/`trees`: trees are keyed by both here. */
  readonly trees?: number;
  /** Distinct bound ids kept as clients (Linkerd's `bounds`/`clients`). */
  readonly clients?: number;
  /** Entries unused this long are released, seconds. */
  readonly idleTtlSecs?: number;
}

/** A cached, observed binding of one (dtab, path). */
export interface TreeEntry {
  state: ActivityState<NameTree<BoundName>>;
  dispose: Dispose | undefined;
  waiters: (() => void)[];
}

/** The binding caches of one router, as the stacks use them (`Binder` implements it). */
export interface RouterBinder {
  /** Forgets every bound tree: the next request per name binds afresh; clients are kept. */
  forgetTrees(): void;
  /** The bound tree cached for `key`, if any, without binding or refreshing its age. */
  peekTree(key: string): TreeEntry | undefined;
  /** The observed binding of `path` under `dtab`; `key` identifies the pair. */
  tree(key: string, dtab: Dtab, path: Path): TreeEntry;
  /** The client for a bound name, created on first use. `id` is the bound id, shown. */
  client(id: string, bound: BoundName): BoundClient;
  /** The service record of `dst` (`key` is its shown path), created by `create` on first use. */
  service(key: string, dst: Path, create: () => ServiceEntry): ServiceEntry;
  /** Every live client, most recently used first. */
  clients(): BoundClient[];
  /** Releases every observation and closes every client (gracefully unless `force`). */
  close(force?: boolean): Promise<void>;
}
