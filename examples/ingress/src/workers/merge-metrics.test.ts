import { createMetricsRegistry, type MetricSample } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { mergeSnapshots } from './merge-metrics.js';

function find(samples: readonly MetricSample[], key: string): MetricSample | undefined {
  return samples.find((s) => s.name.join('/') === key);
}

describe('mergeSnapshots', () => {
  it('sums counters and per-worker gauges, keeps the largest copy of shared state', () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    const server = ['rt', 'http', 'server', '127.0.0.1', '18080'];
    a.scope(...server)
      .counter('requests')
      .incr(3);
    b.scope(...server)
      .counter('requests')
      .incr(4);
    a.scope(...server).gauge(['connections'], () => 2);
    b.scope(...server).gauge(['connections'], () => 5);
    a.scope('rt', 'http', 'client', 'web').gauge(['pool', 'size'], () => 1);
    b.scope('rt', 'http', 'client', 'web').gauge(['pool', 'size'], () => 2);
    // Every worker watches the same Ingresses: the pod has 7 of them, not 14.
    a.scope('ingress').gauge(['routes'], () => 7);
    b.scope('ingress').gauge(['routes'], () => 7);
    b.scope('only', 'b').counter('seen').incr();
    const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
    expect(find(merged, 'rt/http/server/127.0.0.1/18080/requests')).toMatchObject({
      kind: 'counter',
      value: 7,
    });
    expect(find(merged, 'rt/http/server/127.0.0.1/18080/connections')).toMatchObject({ value: 7 });
    expect(find(merged, 'rt/http/client/web/pool/size')).toMatchObject({ value: 3 });
    expect(find(merged, 'ingress/routes')).toMatchObject({ kind: 'gauge', value: 7 });
    expect(find(merged, 'only/b/seen')).toMatchObject({ value: 1 });
    const names = merged.map((s) => s.name.join('/'));
    expect(names).toEqual([...names].sort());
  });

  it('merges histograms by their buckets: counts, sums, extremes and percentiles of the union', () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    const both = createMetricsRegistry();
    const fast = Array.from({ length: 90 }, (_, i) => 1 + i / 100);
    const slow = Array.from({ length: 10 }, (_, i) => 200 + i);
    for (const v of fast) a.scope('rt').histogram('latency_ms').add(v);
    for (const v of slow) b.scope('rt').histogram('latency_ms').add(v);
    for (const v of [...fast, ...slow]) both.scope('rt').histogram('latency_ms').add(v);
    const merged = find(mergeSnapshots([a.snapshot(), b.snapshot()]), 'rt/latency_ms');
    const single = find(both.snapshot(), 'rt/latency_ms');
    if (merged?.kind !== 'histogram' || single?.kind !== 'histogram') throw new Error('no histogram');
    expect(merged.count).toBe(100);
    expect(merged.sum).toBeCloseTo(single.sum, 6);
    expect(merged.min).toBe(single.min);
    expect(merged.max).toBe(single.max);
    expect(merged.buckets).toEqual(single.buckets);
    // One process would say p50 ≈ 1.5 and p99 ≈ 209: the merge lands in the same buckets.
    expect(merged.p50).toBeGreaterThanOrEqual(1);
    expect(merged.p50).toBeLessThan(2.5);
    expect(merged.p99).toBeGreaterThanOrEqual(200);
    expect(merged.p99).toBeLessThanOrEqual(209);
  });

  it('merges an empty histogram without taking its 0 as the minimum', () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    a.scope('rt').histogram('latency_ms');
    b.scope('rt').histogram('latency_ms').add(40);
    const merged = find(mergeSnapshots([a.snapshot(), b.snapshot()]), 'rt/latency_ms');
    expect(merged).toMatchObject({ kind: 'histogram', count: 1, min: 40, max: 40, p50: 40 });
  });
});

describe('mergeSnapshots after a JSON hop', () => {
  it('reads a null bucket bound as +Inf, so percentiles stay inside the data', () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    for (const v of [50, 1, 1.2, 1.1, 0.9]) a.histogram('x').add(v);
    for (const v of [1, 1.3, 0.8]) b.histogram('x').add(v);
    // JSON (cluster's default IPC serialization) turns the last bound, Infinity, into null.
    const hop = (samples: readonly MetricSample[]): MetricSample[] => JSON.parse(JSON.stringify(samples));
    const merged = mergeSnapshots([hop(a.snapshot()), hop(b.snapshot())])[0];
    if (merged?.kind !== 'histogram') throw new Error('no histogram');
    expect(merged.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 8 });
    expect(merged.p50).toBeLessThan(2);
    expect(merged.max).toBe(50);
  });
});
