/** Time source injected into everything that measures or schedules; tests pass a fake one. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic nanoseconds, for latencies. */
  nanoTime(): bigint;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle from `Clock.setTimeout`. */
export type TimerHandle = { readonly id: unknown };

/** A source of uniform random numbers in [0, 1); tests pass a seeded one. */
export type Random = () => number;
