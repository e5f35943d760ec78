import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, HISTOGRAM_BUCKET_BOUNDS, type MetricSample, nullStats } from './stats.js';

function find(samples: readonly MetricSample[], name: string): MetricSample | undefined {
  return samples.find((s) => s.name.join('/') === name);
}

describe('createMetricsRegistry', () => {
  it('counts, scopes, and returns the same counter for the same name', () => {
    const r = createMetricsRegistry();
    const rt = r.scope('rt', 'web');
    rt.counter('requests').incr();
    rt.counter('requests').incr(2);
    r.counter('rt', 'web', 'requests').incr();
    rt.scope('server').counter('connects').incr();
    const snap = r.snapshot();
    expect(find(snap, 'rt/web/requests')).toEqual({
      kind: 'counter',
      name: ['rt', 'web', 'requests'],
      value: 4,
    });
    expect(find(snap, 'rt/web/server/connects')).toMatchObject({ kind: 'counter', value: 1 });
    expect(snap.map((s) => s.name.join('/'))).toEqual(['rt/web/requests', 'rt/web/server/connects']);
  });

  it('reads gauges at snapshot time until disposed; a throwing gauge reads NaN', () => {
    const r = createMetricsRegistry();
    let n = 1;
    const g = r.gauge(['pool', 'size'], () => n);
    r.gauge(['broken'], () => {
      throw new Error('x');
    });
    expect(find(r.snapshot(), 'pool/size')).toMatchObject({ kind: 'gauge', value: 1 });
    n = 5;
    expect(find(r.snapshot(), 'pool/size')).toMatchObject({ value: 5 });
    expect(Number.isNaN((find(r.snapshot(), 'broken') as { value: number }).value)).toBe(true);
    g.dispose();
    expect(find(r.snapshot(), 'pool/size')).toBeUndefined();
  });

  it('summarises histograms with percentiles and cumulative Prometheus buckets', () => {
    const r = createMetricsRegistry();
    const h = r.histogram('latency_ms');
    for (let i = 1; i <= 1000; i++) h.add(i);
    h.add(Number.NaN); // ignored
    const s = find(r.snapshot(), 'latency_ms');
    if (s?.kind !== 'histogram') throw new Error('no histogram');
    expect(s.count).toBe(1000);
    expect(s.sum).toBe(500500);
    expect(s.min).toBe(1);
    expect(s.max).toBe(1000);
    expect(s.avg).toBeCloseTo(500.5);
    for (const [q, want] of [
      [s.p50, 500],
      [s.p90, 900],
      [s.p99, 990],
      [s.p999, 999],
    ] as const) {
      expect(Math.abs(q - want) / want).toBeLessThan(0.12);
    }
    expect(s.buckets.length).toBe(HISTOGRAM_BUCKET_BOUNDS.length + 1);
    expect(s.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 1000 });
    for (let i = 1; i < s.buckets.length; i++)
      expect(s.buckets[i]!.count).toBeGreaterThanOrEqual(s.buckets[i - 1]!.count);
    const le = (b: number) => s.buckets.find((x) => x.le === b)!.count;
    expect(le(1)).toBe(1);
    expect(le(10)).toBe(10);
    expect(le(100)).toBe(100);
    expect(le(250)).toBe(250);
    // Snapshots do not reset histograms.
    expect((find(r.snapshot(), 'latency_ms') as { count: number }).count).toBe(1000);
  });

  it('reports an empty histogram as zeros', () => {
    const r = createMetricsRegistry();
    r.histogram('idle');
    expect(find(r.snapshot(), 'idle')).toMatchObject({ count: 0, min: 0, max: 0, p50: 0, p99: 0 });
  });

  it('bucket bounds are fixed, increasing and log-scale (1, 2.5, 5 per decade)', () => {
    expect(HISTOGRAM_BUCKET_BOUNDS[0]).toBe(0.001);
    expect(HISTOGRAM_BUCKET_BOUNDS.slice(9, 15)).toEqual([1, 2.5, 5, 10, 25, 50]);
    expect(HISTOGRAM_BUCKET_BOUNDS.at(-1)).toBe(1e7);
  });
});

describe('nullStats', () => {
  it('accepts everything and records nothing', () => {
    nullStats.counter('a').incr();
    nullStats.histogram('b').add(1);
    nullStats.gauge(['c'], () => 1).dispose();
    expect(nullStats.scope('x')).toBe(nullStats);
  });
});
