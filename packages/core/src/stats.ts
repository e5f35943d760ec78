/**
 * Stats: the one place counters, gauges and histograms go. Libraries never log; they count.
 * Scopes follow Linkerd's metric tree: `rt/<router>/server/<ip>/<port>/requests`.
 */

/** A monotonically increasing count. */
export interface Counter {
  incr(delta?: number): void;
}

/** A distribution of observations (e.g. latency in ms). */
export interface Histogram {
  add(value: number): void;
}

/** A value read when stats are exported; `dispose` unregisters it. */
export interface Gauge {
  dispose(): void;
}

/** A scoped registry of metrics. Names are path segments; `scope` prefixes them. */
export interface Stats {
  counter(...name: string[]): Counter;
  histogram(...name: string[]): Histogram;
  gauge(name: readonly string[], read: () => number): Gauge;
  scope(...prefix: string[]): Stats;
}
