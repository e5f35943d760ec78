/**
 * The batch queue's own defaults: exporters pass only what their users set, so the retry policy
 * (5 tries, back-off from 1 s doubling to 30 s, `Retry-After` capped at 30 s) and the 1 s flush
 * interval live here once.
 */
import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { BATCH_QUEUE_DEFAULTS, createBatchQueue, type SendOutcome } from './batch-queue.js';

/** Lets the queue's promise chain run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('createBatchQueue defaults', () => {
  it('flushes after 1 s, tries 5 times with back-off doubling from 1 s, then drops', async () => {
    const clock = fakeClock();
    const attemptsAt: number[] = [];
    const failures: boolean[] = [];
    const queue = createBatchQueue<number, string>({
      encode: (batch) => batch.join(','),
      send: async (): Promise<SendOutcome> => {
        attemptsAt.push(clock.now());
        return { kind: 'retry', reason: 'unavailable' };
      },
      onFailure: (_reason, _items, retrying) => failures.push(retrying),
      batchSize: 10,
      maxQueue: 100,
      clock,
      // Full jitter at its ceiling: each wait is the whole back-off.
      random: () => 0.9999999,
    });
    queue.add(1);
    clock.advance(999);
    await settle();
    expect(attemptsAt).toEqual([]);
    clock.advance(1);
    await settle();
    // Each back-off timer is set after the failed attempt settles: step through them one by one.
    for (const wait of [1000, 2000, 4000, 8000]) {
      clock.advance(wait - 1);
      await settle();
      clock.advance(1);
      await settle();
    }
    // First try at the 1 s flush, then waits of 1, 2, 4 and 8 s.
    expect(attemptsAt).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(failures).toEqual([true, true, true, true, false]);
    expect(queue.held).toBe(0);
  });

  it('caps a Retry-After at 30 s', async () => {
    const clock = fakeClock();
    const attemptsAt: number[] = [];
    const queue = createBatchQueue<number, string>({
      encode: (batch) => batch.join(','),
      send: async (): Promise<SendOutcome> => {
        attemptsAt.push(clock.now());
        return attemptsAt.length === 1
          ? { kind: 'retry', reason: 'busy', afterMs: 120_000 }
          : { kind: 'ok', rejected: 0 };
      },
      onFailure: () => {},
      batchSize: 1,
      maxQueue: 10,
      clock,
    });
    queue.add(1);
    await settle();
    clock.advance(0);
    await settle();
    clock.advance(BATCH_QUEUE_DEFAULTS.maxBackoffMs);
    await settle();
    expect(attemptsAt).toEqual([0, 30_000]);
  });
});
