/**
 * Clock: the time source injected into everything that measures or schedules, so that tests can
 * pass a fake one (`fakeClock()` in `@switchyard/testkit`) and never sleep.
 */

/** Time source injected into everything that measures or schedules; tests pass a fake one. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic nanoseconds, for latencies. */
  nanoTime(): bigint;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle from `Clock.setTimeout`. */
export type TimerHandle = { readonly id: unknown };

/** A source of uniform random numbers in [0, 1); tests pass a seeded one. */
export type Random = () => number;

/**
 * The real clock: `Date.now`, `process.hrtime.bigint` and Node timers. Timers are `unref`ed: a
 * pending retry or backoff never keeps the process alive on its own.
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  nanoTime: () => process.hrtime.bigint(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref();
    return { id: t };
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
});
