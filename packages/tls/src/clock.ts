/**
 * The default wall clock, used only when the caller injects none. Its timers are `unref`'d so a
 * certificate watch never keeps a process alive on its own.
 */
import type { Clock, TimerHandle } from '@switchyard/core';

/** A `Clock` backed by `Date.now`, `process.hrtime` and unref'd Node timers. */
export const defaultClock: Clock = Object.freeze({
  now: () => Date.now(),
  nanoTime: () => process.hrtime.bigint(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = setTimeout(fn, ms);
    id.unref();
    return { id };
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as NodeJS.Timeout);
  },
});
