import { describe, expect, it } from 'vitest';
import { fakeClock } from './fake-clock.js';

describe('fakeClock', () => {
  it('fires due timers in order as time advances, with now() at each due time', () => {
    const clock = fakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`a2@${clock.now()}`), 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 15);
    clock.clearTimeout(cancelled);
    expect(clock.pendingTimers()).toBe(3);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@1010', 'a2@1010', 'b@1020']);
    expect(clock.now()).toBe(1020);
    expect(clock.nanoTime()).toBe(20_000_000n);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires timers scheduled by callbacks when they fall inside the window', () => {
    const clock = fakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
      clock.setTimeout(() => fired.push(clock.now()), 50);
    }, 5);
    clock.advance(20);
    expect(fired).toEqual([5, 10]);
    expect(clock.pendingTimers()).toBe(1);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
