/**
 * A fake `Clock` for tests: time stands still until the test calls `advance(ms)`, which fires due
 * timers in order. Nothing sleeps, so timer-driven code is tested deterministically.
 */
import type { Clock, TimerHandle } from '@switchyard/core';

/** A `Clock` whose time moves only when the test says so. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer due by then in (due time, creation) order,
   * including timers scheduled by fired callbacks that fall within the window. `now()` reads each
   * timer's due time while it runs.
   */
  advance(ms: number): void;
  /** Number of timers scheduled and not yet fired or cleared. */
  pendingTimers(): number;
}

interface Timer {
  readonly seq: number;
  readonly at: number;
  readonly fn: () => void;
}

/** A {@link FakeClock} starting at `startMs` (epoch milliseconds, default 0). */
export function fakeClock(startMs = 0): FakeClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, Timer>();

  function nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of timers.values()) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  return {
    now: () => now,
    nanoTime: () => BigInt(Math.round((now - startMs) * 1e6)),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      const id = ++seq;
      timers.set(id, { seq: id, at: now + Math.max(0, ms), fn });
      return { id };
    },
    clearTimeout(handle: TimerHandle): void {
      timers.delete(handle.id as number);
    },
    advance(ms: number): void {
      if (!(ms >= 0)) throw new RangeError(`fakeClock.advance: ms must be >= 0, got ${ms}`);
      const target = now + ms;
      for (let t = nextDue(target); t !== undefined; t = nextDue(target)) {
        timers.delete(t.seq);
        now = t.at;
        t.fn();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
