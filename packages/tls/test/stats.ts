/** An in-memory `Stats` for assertions: counters by path, gauges read on demand. */
import type { Counter, Gauge, Histogram, Stats } from '@switchyard/core';

/** A recording Stats; keys are `/`-joined paths. */
export interface RecordingStats extends Stats {
  readonly counters: Map<string, number>;
  readonly gauges: Map<string, () => number>;
}

/** Creates a RecordingStats rooted at `prefix`. */
export function recordingStats(
  prefix: string[] = [],
  shared = { counters: new Map<string, number>(), gauges: new Map<string, () => number>() },
): RecordingStats {
  const key = (name: readonly string[]) => [...prefix, ...name].join('/');
  return {
    counters: shared.counters,
    gauges: shared.gauges,
    counter(...name: string[]): Counter {
      const k = key(name);
      return { incr: (d = 1) => void shared.counters.set(k, (shared.counters.get(k) ?? 0) + d) };
    },
    histogram(): Histogram {
      return { add() {} };
    },
    gauge(name: readonly string[], read: () => number): Gauge {
      const k = key(name);
      shared.gauges.set(k, read);
      return { dispose: () => void shared.gauges.delete(k) };
    },
    scope(...more: string[]): Stats {
      return recordingStats([...prefix, ...more], shared);
    },
  };
}
