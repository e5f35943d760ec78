/**
 * A bounded memo from request text (a Host value; a Host value and a path) to the name an
 * identifier built for it, so a request for a known host costs one map lookup instead of re-parsing and a fresh `Path`
 * array. The text comes from clients, so the memo is bounded: when it is full it starts over
 * (a flood of distinct values costs what it did before the memo, plus one `clear` per `max`
 * entries). Identifiers whose rules change call `clear()` on every change, so a cached name never
 * outlives the rules it came from.
 */
import type { Path } from '@switchyard/dtab';

/** What {@link createNameCache} returns. */
export interface NameCache<V = Path> {
  /** The value stored for `key`, or `undefined`. */
  get(key: string): V | undefined;
  /** Stores `value` (frozen by the caller when it is shared) and returns it. */
  set(key: string, value: V): V;
  /** Forgets everything (the rules changed). */
  clear(): void;
  readonly size: number;
}

/** Default bound: enough for every host of a large ingress, small next to a connection's buffers. */
export const NAME_CACHE_MAX = 4096;

/** A memo holding at most `max` entries (default {@link NAME_CACHE_MAX}). */
export function createNameCache<V = Path>(max = NAME_CACHE_MAX): NameCache<V> {
  const map = new Map<string, V>();
  return {
    get: (key) => map.get(key),
    set(key, value) {
      if (map.size >= max) map.clear();
      map.set(key, value);
      return value;
    },
    clear: () => map.clear(),
    get size() {
      return map.size;
    },
  };
}

/** What {@link createPairCache} returns: a {@link NameCache} keyed by two strings. */
export interface PairCache<V> {
  get(a: string, b: string): V | undefined;
  set(a: string, b: string, value: V): V;
  clear(): void;
  /** Entries over all `a`. */
  readonly size: number;
}

/**
 * A memo keyed by two strings (a Host value and a path), at most `max` entries in all. Two maps
 * rather than one keyed by `a + sep + b`: a concatenated key must be flattened before it is
 * hashed, a fresh string per request, which cost more than the lookup it saves.
 */
export function createPairCache<V>(max = NAME_CACHE_MAX): PairCache<V> {
  const outer = new Map<string, Map<string, V>>();
  let size = 0;
  return {
    get: (a, b) => outer.get(a)?.get(b),
    set(a, b, value) {
      if (size >= max) {
        outer.clear();
        size = 0;
      }
      let inner = outer.get(a);
      if (inner === undefined) {
        inner = new Map();
        outer.set(a, inner);
      }
      if (!inner.has(b)) size++;
      inner.set(b, value);
      return value;
    },
    clear() {
      outer.clear();
      size = 0;
    },
    get size() {
      return size;
    },
  };
}
