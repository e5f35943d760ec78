/**
 * One metrics answer for the pod: every worker's registry snapshot merged into one list of
 * samples, which the same JSON and Prometheus formatters then render.
 *
 * Counters are summed. Gauges named `connections`, `pending` or `pool/size` count something each
 * worker holds, so they are summed too; every other gauge (endpoints, routes, Ingress objects,
 * certificate expiry…) describes state every worker holds a copy of, so the pod reports the
 * largest worker's value rather than N times it. Histograms add their buckets, counts and sums;
 * their percentiles are re-estimated from the merged buckets.
 */
import type { HistogramBucket, MetricSample } from '@switchyard/core';

type Histogram = Extract<MetricSample, { kind: 'histogram' }>;

/** True for a gauge whose pod value is the sum over workers. */
export function isAdditiveGauge(name: readonly string[]): boolean {
  const last = name[name.length - 1];
  return (
    last === 'connections' || last === 'pending' || (last === 'size' && name[name.length - 2] === 'pool')
  );
}

/**
 * True for a sample that only grows (a counter, a histogram): a worker that left keeps adding
 * its final value to the pod's, while its gauges (connections, endpoints…) leave with it.
 */
export function isCumulative(sample: MetricSample): boolean {
  return sample.kind === 'counter' || sample.kind === 'histogram';
}

/** A percentile from cumulative buckets: linear inside the bucket, clamped to [min, max]. */
function percentile(buckets: readonly HistogramBucket[], count: number, min: number, max: number, q: number) {
  if (count === 0) return 0;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      const upper = Number.isFinite(b.le) ? b.le : max;
      const inside = b.count - below;
      const value = inside === 0 ? upper : lower + ((rank - below) / inside) * (upper - lower);
      return Math.min(max, Math.max(min, value));
    }
    lower = Number.isFinite(b.le) ? b.le : lower;
    below = b.count;
  }
  return max;
}

function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  const count = a.count + b.count;
  const sum = a.sum + b.sum;
  const min = a.count === 0 ? b.min : b.count === 0 ? a.min : Math.min(a.min, b.min);
  const max = Math.max(a.max, b.max);
  // Every registry exports the same bounds; a bound missing on one side adds nothing.
  const counts = new Map<number, number>();
  for (const bucket of [...a.buckets, ...b.buckets]) {
    // A JSON hop turns the +Inf bound into null: read it back as Infinity.
    const le = (bucket.le as number | null) ?? Number.POSITIVE_INFINITY;
    counts.set(le, (counts.get(le) ?? 0) + bucket.count);
  }
  const buckets = [...counts].sort((x, y) => x[0] - y[0]).map(([le, n]) => ({ le, count: n }));
  const p = (q: number) => percentile(buckets, count, min, max, q);
  return {
    kind: 'histogram',
    name: a.name,
    count,
    sum,
    min,
    max,
    avg: count === 0 ? 0 : sum / count,
    p50: p(0.5),
    p90: p(0.9),
    p95: p(0.95),
    p99: p(0.99),
    p999: p(0.999),
    buckets,
  };
}

function merge(a: MetricSample, b: MetricSample): MetricSample {
  if (a.kind === 'histogram' && b.kind === 'histogram') return mergeHistograms(a, b);
  if (a.kind === 'counter' && b.kind === 'counter') return { ...a, value: a.value + b.value };
  if (a.kind === 'gauge' && b.kind === 'gauge')
    return { ...a, value: isAdditiveGauge(a.name) ? a.value + b.value : Math.max(a.value, b.value) };
  return a; // One name, two kinds: cannot happen within one registry; the first worker's wins.
}

/** Merges the workers' snapshots; the result is sorted by name, as a registry's snapshot is. */
export function mergeSnapshots(snapshots: readonly (readonly MetricSample[])[]): MetricSample[] {
  const byKey = new Map<string, MetricSample>();
  for (const samples of snapshots) {
    for (const sample of samples) {
      const key = sample.name.join('\u0000');
      const seen = byKey.get(key);
      byKey.set(key, seen === undefined ? sample : merge(seen, sample));
    }
  }
  return [...byKey.values()].sort((x, y) => {
    const a = x.name.join('/');
    const b = y.name.join('/');
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
