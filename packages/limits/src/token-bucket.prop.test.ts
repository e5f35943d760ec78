import { fakeClock } from '@switchyard/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenBucket } from './token-bucket.js';

/** Arrival times (ms, non-decreasing) built from gaps, with a rate and a depth. */
const scenario = fc.record({
  rps: fc.double({ min: 0.1, max: 1000, noNaN: true }),
  burst: fc.integer({ min: 1, max: 50 }),
  gaps: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2000, noNaN: true })), {
    minLength: 1,
    maxLength: 200,
  }),
});

function run(s: { rps: number; burst: number; gaps: number[] }): { admitted: number[]; waits: number[] } {
  const clock = fakeClock();
  const bucket = tokenBucket({ rps: s.rps, burst: s.burst, clock });
  const admitted: number[] = [];
  const waits: number[] = [];
  for (const gap of s.gaps) {
    clock.advance(gap);
    const wait = bucket.take();
    if (wait === 0) admitted.push(clock.now());
    else waits.push(wait);
  }
  return { admitted, waits };
}

describe('tokenBucket properties', () => {
  it('admits at most burst + rps·t in any window of t seconds', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { admitted } = run(s);
        // Every window that starts and ends on an admission is the tightest one for its count.
        for (let i = 0; i < admitted.length; i++) {
          for (let j = i; j < admitted.length; j++) {
            const seconds = (admitted[j]! - admitted[i]!) / 1000;
            expect(j - i + 1).toBeLessThanOrEqual(s.burst + s.rps * seconds + 1e-6);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('admits a full burst after an idle period of burst/rps, and the wait it announces is enough', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const clock = fakeClock();
        const bucket = tokenBucket({ rps: s.rps, burst: s.burst, clock });
        for (const gap of s.gaps) {
          clock.advance(gap);
          bucket.take();
        }
        const wait = bucket.take();
        if (wait > 0) {
          clock.advance(wait + 1e-3);
          expect(bucket.take()).toBe(0);
        }
        clock.advance((s.burst / s.rps) * 1000 + 1);
        for (let k = 0; k < s.burst; k++) expect(bucket.take()).toBe(0);
        expect(bucket.take()).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
