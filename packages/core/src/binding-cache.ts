/**
 * A memo of live bindings, so that routing a request to a name that is already bound costs a
 * map lookup instead of a walk through the dtab and namers. Each cached binding stays observed
 * (its namer watches keep running) until it is evicted or the cache is closed; reading its state
 * is O(1).
 */
import type { Dtab, NameTree, Path } from '@switchyard/dtab';
import { Activity, type ActivityState } from './activity.js';
import type { NameInterpreter } from './interpreter.js';
import type { BoundName } from './name.js';
import type { Dispose } from './var.js';

/** Live bindings by (dtab, path). */
export interface BindingCache {
  /**
   * The live binding of `path` under `dtab`: the same Activity for the same dtab object and
   * equal path; created (and observed) on first use.
   */
  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>>;
  /** The current state of the binding of `path` under `dtab`; binds on first use. */
  state(dtab: Dtab, path: Path): ActivityState<NameTree<BoundName>>;
  /** Number of cached bindings. */
  size(): number;
  /** Stops observing every cached binding and empties the cache. */
  close(): void;
}

/** Options of {@link createBindingCache}. */
export interface BindingCacheOptions {
  /** At most this many bindings stay cached; the oldest is evicted (and unobserved) first. Default 1000. */
  readonly maxEntries?: number;
}

interface Entry {
  state: ActivityState<NameTree<BoundName>>;
  readonly activity: Activity<NameTree<BoundName>>;
  readonly dispose: Dispose;
}

/**
 * Memoizes `interpreter.bind`. Dtabs are keyed by identity (parse a dtab once and reuse the
 * object), paths by value .
 */
export function createBindingCache(
  interpreter: NameInterpreter,
  options: BindingCacheOptions = {},
): BindingCache {
  const maxEntries = options.maxEntries ?? 1000;
  const byDtab = new WeakMap<Dtab, Map<string, Entry>>();
  // Insertion order of all entries, for eviction.
  const order = new Map<Entry, { readonly perDtab: Map<string, Entry>; readonly key: string }>();

  /**
   * Fast key: labels joined by NUL. Paths with a label containing \x00 or \x01 (legal but rare)
   * get a length-prefixed key that starts with \x01, which no fast key can contain.
   */
  function keyOf(path: Path): string {
    for (let i = 0; i < path.length; i++) {
      const l = path[i]!;
      if (l.includes('\u0000') || l.includes('\u0001'))
        return `\u0001${path.map((l) => `${l.length}:${l}`).join('')}`;
    }
    return path.join('\u0000');
  }

  function entry(dtab: Dtab, path: Path): Entry {
    let perDtab = byDtab.get(dtab);
    if (perDtab === undefined) {
      perDtab = new Map();
      byDtab.set(dtab, perDtab);
    }
    const key = keyOf(path);
    const hit = perDtab.get(key);
    if (hit !== undefined) return hit;
    const states = interpreter.bind(dtab, path).states;
    const holder = { state: Activity.pendingState as ActivityState<NameTree<BoundName>> };
    const dispose = states.observe((s) => {
      holder.state = s;
    });
    const e: Entry = Object.assign(holder, {
      activity: Activity.fromVar({ sample: () => holder.state, observe: states.observe.bind(states) }),
      dispose,
    });
    perDtab.set(key, e);
    order.set(e, { perDtab, key });
    if (order.size > maxEntries) {
      const [oldest, where] = order.entries().next().value as [
        Entry,
        { perDtab: Map<string, Entry>; key: string },
      ];
      oldest.dispose();
      where.perDtab.delete(where.key);
      order.delete(oldest);
    }
    return e;
  }

  return {
    bind: (dtab, path) => entry(dtab, path).activity,
    state: (dtab, path) => entry(dtab, path).state,
    size: () => order.size,
    close() {
      for (const [e, where] of order) {
        e.dispose();
        where.perDtab.delete(where.key);
      }
      order.clear();
    },
  };
}
