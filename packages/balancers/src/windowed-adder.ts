/**
 * A sum over a sliding time window, kept as a ring of `slices` buckets so adds and reads are
 * O(slices) with no timers: buckets older than the window are zeroed lazily on access.
 * Source: finagle `WindowedAdder`. Internal to the package.
 */

/** A windowed sum of numbers added over time. */
export interface WindowedAdder {
  add(n: number): void;
  /** Sum of what was added within roughly the last window (between (slices-1)/slices and 1 window). */
  sum(): number;
  reset(): void;
}

/** Creates a windowed adder over `windowMs`, split into `slices`, reading time from `nowMs`. */
export function createWindowedAdder(windowMs: number, slices: number, nowMs: () => number): WindowedAdder {
  const sliceMs = windowMs / slices;
  const buckets = new Float64Array(slices);
  let current = Math.floor(nowMs() / sliceMs);

  function expire(): void {
    const now = Math.floor(nowMs() / sliceMs);
    if (now <= current) return;
    const gap = Math.min(now - current, slices);
    for (let k = 1; k <= gap; k++) buckets[(current + k) % slices] = 0;
    current = now;
  }

  return {
    add(n) {
      expire();
      const i = current % slices;
      buckets[i] = buckets[i]! + n;
    },
    sum() {
      expire();
      let s = 0;
      for (const b of buckets) s += b;
      return s;
    },
    reset() {
      buckets.fill(0);
      current = Math.floor(nowMs() / sliceMs);
    },
  };
}
