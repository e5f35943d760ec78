import { describe, expect, it } from 'vitest';
import { aimdLimit } from './aimd.js';

describe('aimdLimit', () => {
  it('sheds beyond the limit and admits again when a request completes', () => {
    const limit = aimdLimit({ initialLimit: 2, minLimit: 1, maxLimit: 10 });
    const a = limit.acquire();
    const b = limit.acquire();
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(limit.acquire()).toBeUndefined();
    a!({ latencyMs: 1, dropped: false });
    expect(limit.inflight()).toBe(1);
    expect(limit.acquire()).toBeDefined();
  });

  it('grows additively while the limit is used and the answers are fast', () => {
    const limit = aimdLimit({ initialLimit: 4, maxLimit: 6 });
    for (let round = 0; round < 100; round++) {
      const held = Array.from({ length: Math.floor(limit.limit()) }, () => limit.acquire()!);
      for (const done of held) done({ latencyMs: 5, dropped: false });
    }
    expect(limit.limit()).toBe(6);
  });

  it('does not grow while mostly idle', () => {
    const limit = aimdLimit({ initialLimit: 10 });
    for (let i = 0; i < 1000; i++) limit.acquire()!({ latencyMs: 1, dropped: false });
    expect(limit.limit()).toBe(10);
  });

  it('backs off multiplicatively, once per window, down to minLimit', () => {
    const limit = aimdLimit({ initialLimit: 10, minLimit: 2, latencyThresholdMs: 100, backoffRatio: 0.5 });
    // Ten slow answers to requests that were in flight together: one decrease.
    const held = Array.from({ length: 10 }, () => limit.acquire()!);
    for (const done of held) done({ latencyMs: 500, dropped: false });
    expect(limit.limit()).toBe(5);
    // Each later window of overload halves it again, never below the floor.
    for (let w = 0; w < 5; w++) limit.acquire()!({ latencyMs: 1, dropped: true });
    expect(limit.limit()).toBe(2);
  });

  it('refuses inconsistent options, naming them', () => {
    expect(() => aimdLimit({ minLimit: 5, maxLimit: 4 })).toThrow(/maxLimit must be an integer >= minLimit/);
    expect(() => aimdLimit({ initialLimit: 0 })).toThrow(/initialLimit/);
    expect(() => aimdLimit({ backoffRatio: 1 })).toThrow(/backoffRatio must be within \(0, 1\)/);
  });
});
