/**
 * A binary min-heap whose items remember their position, so an item whose key changed can be
 * re-sifted, or removed, in O(log n) without searching. Internal to the package.
 */

/** An item that can live in at most one indexed heap at a time. */
export interface HeapItem {
  /** Position in the heap, or -1 when not in one. */
  heapIndex: number;
}

/** The heap operations; `less(a, b)` orders items, the least on top. */
export interface IndexedHeap<T extends HeapItem> {
  readonly size: number;
  peek(): T | undefined;
  push(item: T): void;
  remove(item: T): void;
  /** Restores heap order after `item`'s key changed in either direction. */
  fix(item: T): void;
  clear(): void;
}

/** Creates an empty indexed min-heap ordered by `less`. */
export function createIndexedHeap<T extends HeapItem>(less: (a: T, b: T) => boolean): IndexedHeap<T> {
  const items: T[] = [];

  function put(item: T, i: number): void {
    items[i] = item;
    item.heapIndex = i;
  }

  function up(i: number): void {
    const item = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!less(item, p)) break;
      put(p, i);
      i = parent;
    }
    put(item, i);
  }

  function down(i: number): void {
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(items[r]!, items[l]!) ? r : l;
      const child = items[c]!;
      if (!less(child, item)) break;
      put(child, i);
      i = c;
    }
    put(item, i);
  }

  return {
    get size() {
      return items.length;
    },
    peek: () => items[0],
    push(item) {
      put(item, items.length);
      up(item.heapIndex);
    },
    remove(item) {
      const i = item.heapIndex;
      if (i < 0 || items[i] !== item) return;
      const last = items.pop()!;
      item.heapIndex = -1;
      if (last === item) return;
      put(last, i);
      up(i);
      down(last.heapIndex);
    },
    fix(item) {
      const i = item.heapIndex;
      if (i < 0 || items[i] !== item) return;
      up(i);
      down(item.heapIndex);
    },
    clear() {
      for (const item of items) item.heapIndex = -1;
      items.length = 0;
    },
  };
}
