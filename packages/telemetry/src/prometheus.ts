/**
 * `/admin/metrics/prometheus`: the stats registry in Prometheus text exposition format 0.0.4.
 *
 * Names and labels come from `prometheus-names.ts` (instances in labels, fixed words in names,
 * base units, `_total` once). Counters and gauges are single samples; histograms are real
 * Prometheus histograms (`_bucket{le=…}`, `_sum`, `_count`). Every family gets `# HELP` and
 * `# TYPE`, so `promtool check metrics` has nothing to say.
 */
import { assertNever, type MetricSample } from '@switchyard/core';
import { prometheusName } from './prometheus-names.js';

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Formats a sample value the way Prometheus parses it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

const leCache = new Map<number, string>();
const leCacheSeconds = new Map<number, string>();

/** `le` values repeat across every histogram (fixed bounds), so their text is cached. */
function leText(le: number, scale: number): string {
  const cache = scale === 1 ? leCache : scale === 0.001 ? leCacheSeconds : undefined;
  let t = cache?.get(le);
  if (t === undefined) {
    t = formatValue(scaled(le, scale));
    if (cache !== undefined && cache.size < 1024) cache.set(le, t);
  }
  return t;
}

type Family = { type: MetricSample['kind']; lines: string[]; help: string };

/** Options of {@link formatPrometheus}. */
export interface PrometheusOptions {
  /** Prepended to every metric name (Linkerd's `io.l5d.prometheus` `prefix`). */
  readonly prefix?: string;
}

/** Rounds away binary noise after scaling (`0.0025 * 0.001` is not `0.0000025`). */
function scaled(v: number, scale: number): number {
  return scale === 1 ? v : Number((v * scale).toPrecision(15));
}

/**
 * Renders samples as Prometheus text format 0.0.4. Samples that map to one metric name form one
 * family with one `# HELP` and `# TYPE`. A name already claimed by another kind (or by a
 * histogram's `_bucket`/`_sum`/`_count` series) gets a `_<kind>` suffix, and a later duplicate
 * series is dropped, so a scraper never rejects the page.
 */
export function formatPrometheus(samples: readonly MetricSample[], options: PrometheusOptions = {}): string {
  const families = new Map<string, Family>();
  /** Every sample name in use, by the family that owns it. */
  const owners = new Map<string, string>();
  const claim = (family: string, type: Family['type']) => {
    const series = type === 'histogram' ? ['_bucket', '_sum', '_count'].map((x) => family + x) : [family];
    for (const n of series) if (owners.has(n) && owners.get(n) !== family) return false;
    for (const n of series) owners.set(n, family);
    return true;
  };
  const family = (name: string, type: Family['type'], scope: string): [string, Family] => {
    let n = name;
    let f = families.get(n);
    if (f === undefined ? !claim(n, type) : f.type !== type) {
      n = `${name}_${type}`;
      f = families.get(n);
      if (f === undefined) claim(n, type);
    }
    if (f === undefined) {
      f = { type, lines: [], help: `Switchyard ${type} (scope ${scope})` };
      families.set(n, f);
    }
    return [n, f];
  };
  // A scraper rejects the whole page on a duplicate series, so later duplicates are dropped.
  const seen = new Set<string>();
  const prefix = options.prefix ?? '';
  for (const s of samples) {
    const p = prometheusName(s.name, s.kind, prefix);
    const [n, f] = family(p.name, s.kind, p.scope);
    const inner = p.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
    const lt = inner === '' ? '' : `{${inner}}`;
    if (seen.has(n + lt)) continue;
    seen.add(n + lt);
    switch (s.kind) {
      case 'counter':
      case 'gauge':
        f.lines.push(`${n}${lt} ${formatValue(scaled(s.value, p.scale))}`);
        break;
      case 'histogram': {
        // Per-bucket strings are the bulk of a scrape: build the label prefix once.
        const bucketHead = `${n}_bucket{${inner === '' ? '' : `${inner},`}le="`;
        let sawInf = false;
        for (const b of s.buckets) {
          if (b.le === Number.POSITIVE_INFINITY) sawInf = true;
          f.lines.push(`${bucketHead}${leText(b.le, p.scale)}"} ${formatValue(b.count)}`);
        }
        if (!sawInf) f.lines.push(`${bucketHead}+Inf"} ${formatValue(s.count)}`);
        f.lines.push(`${n}_sum${lt} ${formatValue(scaled(s.sum, p.scale))}`);
        f.lines.push(`${n}_count${lt} ${formatValue(s.count)}`);
        break;
      }
      default:
        assertNever(s);
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${f.type}`);
    for (const line of f.lines) out.push(line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
