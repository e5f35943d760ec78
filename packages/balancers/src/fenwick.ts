/**
 * A Fenwick (binary indexed) tree of weights, so that weighted sampling over any prefix of the
 * endpoint array costs O(log n) and moving an endpoint costs O(log n). Internal to the package.
 */

/** Prefix sums over a mutable array of non-negative weights. */
export interface Fenwick {
  /** Sum of weights at positions [0, end). */
  prefix(end: number): number;
  /** Sets the weight at `i` (which must be < the capacity given to `build`). */
  set(i: number, weight: number): void;
  /** The smallest position `i` whose cumulative sum through `i` exceeds `target`; clamped to `end - 1`. */
  find(target: number, end: number): number;
}

/** Builds a tree over `weights` in O(n). */
export function buildFenwick(weights: readonly number[]): Fenwick {
  const n = weights.length;
  const tree = new Float64Array(n + 1);
  const values = Float64Array.from(weights);
  for (let i = 0; i < n; i++) {
    const j = i + 1;
    tree[j] = tree[j]! + values[i]!;
    const parent = j + (j & -j);
    if (parent <= n) tree[parent] = tree[parent]! + tree[j]!;
  }
  let topBit = 1;
  while (topBit * 2 <= n) topBit *= 2;

  return {
    prefix(end) {
      let sum = 0;
      for (let j = end; j > 0; j -= j & -j) sum += tree[j]!;
      return sum;
    },
    set(i, weight) {
      const delta = weight - values[i]!;
      if (delta === 0) return;
      values[i] = weight;
      for (let j = i + 1; j <= n; j += j & -j) tree[j] = tree[j]! + delta;
    },
    find(target, end) {
      // Standard descent: accumulate the largest prefix whose sum is <= target.
      let pos = 0;
      let rest = target;
      for (let step = topBit; step > 0; step >>= 1) {
        const next = pos + step;
        if (next <= n && tree[next]! <= rest) {
          pos = next;
          rest -= tree[next]!;
        }
      }
      return pos < end ? pos : end - 1;
    },
  };
}
