/**
 * Stats: the one place counters, gauges and histograms go. Libraries never log; they count.
 * Scopes follow Linkerd's metric tree: `rt/<router>/server/<ip>/<port>/requests`.
 *
 * `createMetricsRegistry()` is the in-memory implementation the admin server exports (Linkerd's
 * `metrics.json` and Prometheus text); `nullStats` discards everything. Recording is on the
 * request hot path, so `Counter.incr` and `Histogram.add` allocate nothing.
 */

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `delta` (default 1). */
  incr(delta?: number): void;
}

/** A distribution of observations (e.g. latency in ms). */
export interface Histogram {
  /** Records one observation. */
  add(value: number): void;
}

/** A value read when stats are exported; `dispose` unregisters it. */
export interface Gauge {
  dispose(): void;
}

/** A scoped registry of metrics. Names are path segments; `scope` prefixes them. */
export interface Stats {
  /** The counter named `name` (the same object for the same name). */
  counter(...name: string[]): Counter;
  /** The histogram named `name` (the same object for the same name). */
  histogram(...name: string[]): Histogram;
  /** Registers `read`, called at each export; a later gauge with the same name replaces it. */
  gauge(name: readonly string[], read: () => number): Gauge;
  /** A view whose names are prefixed by `prefix`. */
  scope(...prefix: string[]): Stats;
}

/** One cumulative histogram bucket: observations `<= le`. The last bucket has `le: Infinity`. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/** One exported metric, discriminated by `kind`. */
export type MetricSample =
  | { readonly kind: 'counter'; readonly name: readonly string[]; readonly value: number }
  | { readonly kind: 'gauge'; readonly name: readonly string[]; readonly value: number }
  | {
      readonly kind: 'histogram';
      readonly name: readonly string[];
      readonly count: number;
      readonly sum: number;
      /** 0 when `count` is 0. */
      readonly min: number;
      readonly max: number;
      readonly avg: number;
      /** Percentiles estimated from the buckets (interpolated, clamped to [min, max]). */
      readonly p50: number;
      readonly p90: number;
      readonly p95: number;
      readonly p99: number;
      readonly p999: number;
      /** Cumulative counts at {@link HISTOGRAM_BUCKET_BOUNDS}, then `+Inf`: Prometheus `le` buckets. */
      readonly buckets: readonly HistogramBucket[];
    };

/** A {@link Stats} that keeps every metric in memory and can list them. */
export interface MetricsRegistry extends Stats {
  /** Every metric, sorted by name. Gauges are read now. */
  snapshot(): readonly MetricSample[];
}

const NO_PREFIX: readonly string[] = Object.freeze([]);

/** Fine internal bounds: 12 per decade from 1e-3 to 1e7, so percentile estimates are within ~10%. */
const MANTISSAS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9];
const FINE_BOUNDS: Float64Array = (() => {
  const out: number[] = [];
  for (let e = -3; e < 7; e++) for (const m of MANTISSAS) out.push(Number((m * 10 ** e).toPrecision(3)));
  out.push(1e7);
  return Float64Array.from(out);
})();

/**
 * The exported bucket bounds: 1, 2.5, 5 per decade from 0.001 to 1e7 (31 bounds plus `+Inf`).
 * Fixed for the life of the process, as Prometheus requires.
 */
export const HISTOGRAM_BUCKET_BOUNDS: readonly number[] = Object.freeze(
  Array.from(FINE_BOUNDS).filter((b) => {
    const m = Number((b / 10 ** Math.floor(Math.log10(b) + 1e-9)).toPrecision(3));
    return m === 1 || m === 2.5 || m === 5;
  }),
);

/** Fine bucket index where each exported bound ends. */
const EXPORT_INDEX: readonly number[] = HISTOGRAM_BUCKET_BOUNDS.map((b) => FINE_BOUNDS.indexOf(b));

class HistogramCell implements Histogram {
  /** counts[i] = observations in (FINE_BOUNDS[i-1], FINE_BOUNDS[i]]; the last slot is overflow. */
  readonly counts = new Float64Array(FINE_BOUNDS.length + 1);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    if (Number.isNaN(value)) return;
    let lo = 0;
    let hi = FINE_BOUNDS.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (FINE_BOUNDS[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      if (seen + c >= rank) {
        const lower = i === 0 ? this.min : FINE_BOUNDS[i - 1]!;
        const upper = i < FINE_BOUNDS.length ? FINE_BOUNDS[i]! : this.max;
        const est = lower + (upper - lower) * ((rank - seen) / c);
        return Math.min(this.max, Math.max(this.min, est));
      }
      seen += c;
    }
    return this.max;
  }

  sample(name: readonly string[]): MetricSample {
    const buckets: HistogramBucket[] = [];
    let cumulative = 0;
    let fine = 0;
    for (let b = 0; b < EXPORT_INDEX.length; b++) {
      const end = EXPORT_INDEX[b]!;
      for (; fine <= end; fine++) cumulative += this.counts[fine]!;
      buckets.push({ le: HISTOGRAM_BUCKET_BOUNDS[b]!, count: cumulative });
    }
    buckets.push({ le: Number.POSITIVE_INFINITY, count: this.count });
    const empty = this.count === 0;
    return {
      kind: 'histogram',
      name,
      count: this.count,
      sum: this.sum,
      min: empty ? 0 : this.min,
      max: empty ? 0 : this.max,
      avg: empty ? 0 : this.sum / this.count,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p95: this.percentile(0.95),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      buckets,
    };
  }
}

class CounterCell implements Counter {
  value = 0;
  incr(delta = 1): void {
    this.value += delta;
  }
}

interface GaugeEntry {
  readonly name: readonly string[];
  readonly read: () => number;
}

/** Metric names never contain NUL, so it separates segments in map keys. */
function keyOf(name: readonly string[]): string {
  return name.join('\u0000');
}

/**
 * An in-memory {@link MetricsRegistry}.
 *
 * Histograms are cumulative for the life of the process and never reset by `snapshot()`: several
 * exporters (Linkerd-style JSON, Prometheus) may read the same registry, and Prometheus derives
 * rates and windowed quantiles from the cumulative `le` buckets itself. Percentiles in a sample
 * therefore describe everything recorded so far.
 */
export function createMetricsRegistry(): MetricsRegistry {
  const counters = new Map<string, { name: readonly string[]; cell: CounterCell }>();
  const histograms = new Map<string, { name: readonly string[]; cell: HistogramCell }>();
  const gauges = new Map<string, GaugeEntry>();

  function scoped(prefix: readonly string[]): Stats {
    const full = (name: readonly string[]) =>
      Object.freeze(prefix.length === 0 ? [...name] : [...prefix, ...name]);
    return {
      counter(...name) {
        const n = full(name);
        const k = keyOf(n);
        let e = counters.get(k);
        if (e === undefined) {
          e = { name: n, cell: new CounterCell() };
          counters.set(k, e);
        }
        return e.cell;
      },
      histogram(...name) {
        const n = full(name);
        const k = keyOf(n);
        let e = histograms.get(k);
        if (e === undefined) {
          e = { name: n, cell: new HistogramCell() };
          histograms.set(k, e);
        }
        return e.cell;
      },
      gauge(name, read) {
        const n = full(name);
        const k = keyOf(n);
        const entry: GaugeEntry = { name: n, read };
        gauges.set(k, entry);
        return {
          dispose() {
            if (gauges.get(k) === entry) gauges.delete(k);
          },
        };
      },
      scope(...more) {
        return scoped(Object.freeze([...prefix, ...more]));
      },
    };
  }

  const root = scoped(NO_PREFIX);
  return {
    ...root,
    snapshot() {
      const out: { key: string; sample: MetricSample }[] = [];
      for (const [key, e] of counters)
        out.push({ key, sample: { kind: 'counter', name: e.name, value: e.cell.value } });
      for (const [key, e] of gauges) {
        let value: number;
        try {
          value = e.read();
        } catch {
          value = Number.NaN;
        }
        out.push({ key, sample: { kind: 'gauge', name: e.name, value } });
      }
      for (const [key, e] of histograms) out.push({ key, sample: e.cell.sample(e.name) });
      out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return out.map((x) => x.sample);
    },
  };
}

const NULL_COUNTER: Counter = Object.freeze({ incr() {} });
const NULL_HISTOGRAM: Histogram = Object.freeze({ add() {} });
const NULL_GAUGE: Gauge = Object.freeze({ dispose() {} });

/** A {@link Stats} that records nothing; every call returns a shared no-op. */
export const nullStats: Stats = Object.freeze({
  counter: () => NULL_COUNTER,
  histogram: () => NULL_HISTOGRAM,
  gauge: () => NULL_GAUGE,
  scope: () => nullStats,
});
