/**
 * `/admin/metrics.json`: Linkerd 1's flat and tree renderings of the stats registry, so existing
 * scripts and dashboards that read `rt/<router>/server/.../requests` keep working.
 */
import type { MetricSample } from '@switchyard/core';

/** Histogram fields by their Linkerd/finagle key suffix (`p9990` is our `p999`). */
const HISTOGRAM_FIELDS = [
  ['count', 'count'],
  ['sum', 'sum'],
  ['avg', 'avg'],
  ['min', 'min'],
  ['max', 'max'],
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p9990', 'p999'],
] as const;

type HistogramSample = Extract<MetricSample, { kind: 'histogram' }>;

function histogramValue(h: HistogramSample, field: (typeof HISTOGRAM_FIELDS)[number][1]): number {
  return h[field];
}

/** The key of a metric: its scope segments joined by `/` (Linkerd's `rt/http/server/0.0.0.0/4140/requests`). */
export function metricKey(name: readonly string[]): string {
  return name.join('/');
}

/**
 * Flattens samples to `{ key: value }`: counters and gauges under their key, histograms as
 * `key.count`, `.sum`, `.avg`, `.min`, `.max`, `.p50`, `.p90`, `.p95`, `.p99`, `.p9990`.
 * `prefix` keeps only keys that start with it. Keys come out sorted.
 */
export function flattenMetrics(samples: readonly MetricSample[], prefix = ''): Record<string, number> {
  const entries: [string, number][] = [];
  for (const s of samples) {
    const key = metricKey(s.name);
    if (s.kind === 'histogram') {
      for (const [suffix, field] of HISTOGRAM_FIELDS)
        entries.push([`${key}.${suffix}`, histogramValue(s, field)]);
    } else {
      entries.push([key, s.value]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, number> = {};
  for (const [k, v] of entries) if (k.startsWith(prefix)) out[k] = v;
  return out;
}

/** A node of the `?tree=1` rendering: children by segment, plus `counter`/`gauge`/`stat.*` leaves. */
export interface MetricsTree {
  [segment: string]: MetricsTree | number;
}

/**
 * Nests samples by scope segment, as Linkerd's `?tree=1`: a counter becomes `{counter: n}`, a
 * gauge `{gauge: n}`, a histogram `{"stat.count": n, "stat.p50": n, …}`. Returns the subtree at
 * `prefix` (segments split on `/`), or `undefined` when there is none.
 */
export function treeMetrics(samples: readonly MetricSample[], prefix = ''): MetricsTree | undefined {
  const root: MetricsTree = {};
  for (const s of samples) {
    let node = root;
    for (const seg of s.name) {
      const next = node[seg];
      if (typeof next === 'object') node = next;
      else {
        const created: MetricsTree = {};
        node[seg] = created;
        node = created;
      }
    }
    switch (s.kind) {
      case 'counter':
        node.counter = s.value;
        break;
      case 'gauge':
        node.gauge = s.value;
        break;
      case 'histogram':
        for (const [suffix, field] of HISTOGRAM_FIELDS) node[`stat.${suffix}`] = histogramValue(s, field);
        break;
    }
  }
  return descend(
    root,
    prefix.split('/').filter((p) => p !== ''),
  );
}

/** Walks `parts` down the tree; a segment may itself contain `/` (`0.0.0.0/4140`), so try each join. */
function descend(node: MetricsTree, parts: readonly string[]): MetricsTree | undefined {
  if (parts.length === 0) return node;
  for (let k = 1; k <= parts.length; k++) {
    const child = node[parts.slice(0, k).join('/')];
    if (typeof child === 'object') {
      const found = descend(child, parts.slice(k));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
