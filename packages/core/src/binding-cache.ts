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
 * object), paths by value.
 */
export function createBindingCache(
  interpreter: NameInterpreter,
  options: BindingCacheOptions = {},
): BindingCache {
  const maxEntries = options.maxEntries ?? 1000;
  const dtabIds = new WeakMap<Dtab, number>();
  let nextDtabId = 0;
  const entries = new Map<string, Entry>();

  function keyOf(dtab: Dtab, path: Path): string {
    let id = dtabIds.get(dtab);
    if (id === undefined) {
      id = nextDtabId++;
      dtabIds.set(dtab, id);
    }
    // Length-prefixed labels: no separator can collide with label bytes.
    let key = `${id}`;
    for (let i = 0; i < path.length; i++) key += `/${path[i]!.length}:${path[i]}`;
    return key;
  }

  function entry(dtab: Dtab, path: Path): Entry {
    const key = keyOf(dtab, path);
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const bound = interpreter.bind(dtab, path);
    const states = bound.states;
    const holder = { state: Activity.pendingState as ActivityState<NameTree<BoundName>> };
    const dispose = states.observe((s) => {
      holder.state = s;
    });
    const e: Entry = Object.assign(holder, {
      activity: Activity.fromVar({ sample: () => holder.state, observe: states.observe.bind(states) }),
      dispose,
    });
    entries.set(key, e);
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.get(oldest)?.dispose();
      entries.delete(oldest);
    }
    return e;
  }

  return {
    bind: (dtab, path) => entry(dtab, path).activity,
    state: (dtab, path) => entry(dtab, path).state,
    size: () => entries.size,
    close() {
      for (const e of entries.values()) e.dispose();
      entries.clear();
    },
  };
}
