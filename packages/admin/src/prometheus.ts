/**
 * `/admin/metrics/prometheus`: the stats registry in Prometheus text exposition format 0.0.4.
 *
 * Linkerd's scope path is turned into a metric name plus labels, the same way Linkerd 1's
 * `io.l5d.prometheus` telemeter does, so its Grafana dashboards keep working:
 *
 * | scope                                          | metric                    | labels                 |
 * | ---------------------------------------------- | ------------------------- | ---------------------- |
 * | `rt/<r>/server/<ip>/<port>/<stat…>`            | `rt:server:<stat…>`       | `rt`, `server=ip/port` |
 * | `rt/<r>/service/<svc>/<stat…>`                 | `rt:service:<stat…>`      | `rt`, `service`        |
 * | `rt/<r>/client/<id>/service/<svc>/<stat…>`     | `rt:client:service:<stat…>` | `rt`, `client`, `service` |
 * | `rt/<r>/client/<id>/<stat…>`                   | `rt:client:<stat…>`       | `rt`, `client`         |
 * | `rt/<r>/<other>/<stat…>`                       | `rt:<other>:<stat…>`      | `rt`                   |
 * | anything else `<a>/<b>/…`                      | `<a>:<b>:…`               | none                   |
 *
 * `<svc>` and `<id>` are one scope segment each (a path without its leading `/`, as finagle
 * scopes them). Counters get `_total`; histograms are real Prometheus histograms
 * (`_bucket{le=…}`, `_sum`, `_count`). Names are sanitised to `[a-zA-Z0-9_:]`.
 */
import type { MetricSample } from '@switchyard/core';

/** A metric name and its labels, after mapping a scope path. */
export interface PrometheusName {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
}

/** Replaces every character outside `[a-zA-Z0-9_:]` by `_`; a leading digit gets a `_` in front. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Maps a scope path to a Prometheus metric name and labels (see the module table). */
export function prometheusName(scope: readonly string[], prefix = ''): PrometheusName {
  const labels: [string, string][] = [];
  let parts: readonly string[] = scope;
  if (scope[0] === 'rt' && scope.length >= 4) {
    const router = scope[1] as string;
    const kind = scope[2] as string;
    const rest = scope.slice(3);
    labels.push(['rt', router]);
    if (kind === 'server') {
      // The server is `ip/port`: one segment, or two when the router scoped ip and port apart.
      const first = rest[0] as string;
      const twoPart = !first.includes('/') && rest.length >= 3 && /^[0-9]+$/.test(rest[1] as string);
      labels.push(['server', twoPart ? `${first}/${rest[1]}` : first]);
      parts = ['rt', 'server', ...rest.slice(twoPart ? 2 : 1)];
    } else if (kind === 'service' && rest.length >= 2) {
      labels.push(['service', rest[0] as string]);
      parts = ['rt', 'service', ...rest.slice(1)];
    } else if (kind === 'client' && rest.length >= 2) {
      labels.push(['client', rest[0] as string]);
      if (rest[1] === 'service' && rest.length >= 4) {
        labels.push(['service', rest[2] as string]);
        parts = ['rt', 'client', 'service', ...rest.slice(3)];
      } else {
        parts = ['rt', 'client', ...rest.slice(1)];
      }
    } else {
      parts = ['rt', kind, ...rest];
    }
  }
  return { name: sanitizeMetricName(prefix + parts.join(':')), labels };
}

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

/** The scope with each label value replaced by a star, for HELP text. */
function helpScope(scope: readonly string[]): string {
  const { labels } = prometheusName(scope);
  const values = new Set(labels.map(([, v]) => v));
  const out: string[] = [];
  for (let i = 0; i < scope.length; i++) {
    const seg = scope[i] as string;
    const pair = `${seg}/${scope[i + 1]}`;
    if (values.has(pair)) {
      out.push('*');
      i++;
    } else out.push(values.has(seg) ? '*' : seg);
  }
  return out.join('/');
}

const leCache = new Map<number, string>();

/** `le` values repeat across every histogram (fixed bounds), so their text is cached. */
function leText(le: number): string {
  let t = leCache.get(le);
  if (t === undefined) {
    t = formatValue(le);
    if (leCache.size < 1024) leCache.set(le, t);
  }
  return t;
}

function labelText(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

type Family = { type: 'counter' | 'gauge' | 'histogram'; lines: string[]; help: string };

/** Options of {@link formatPrometheus}. */
export interface PrometheusOptions {
  /** Prepended to every metric name (Linkerd's `io.l5d.prometheus` `prefix`). */
  readonly prefix?: string;
}

/**
 * Renders samples as Prometheus text format 0.0.4. Samples that map to one metric name form one
 * family with one `# TYPE` line. When two kinds map to the same name, the later kind is renamed
 * with a `_<kind>` suffix so the output stays valid.
 */
export function formatPrometheus(samples: readonly MetricSample[], options: PrometheusOptions = {}): string {
  const families = new Map<string, Family>();
  const family = (name: string, type: Family['type'], scope: readonly string[]): [string, Family] => {
    let n = name;
    let f = families.get(n);
    if (f !== undefined && f.type !== type) {
      n = `${name}_${type}`;
      f = families.get(n);
    }
    if (f === undefined) {
      f = { type, lines: [], help: `Switchyard ${type} (scope ${helpScope(scope)})` };
      families.set(n, f);
    }
    return [n, f];
  };
  // A scraper rejects the whole page on a duplicate series, so later duplicates are dropped.
  const seen = new Set<string>();
  for (const s of samples) {
    const { name, labels } = prometheusName(s.name, options.prefix ?? '');
    const series = `${s.kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name}${labelText(labels)}`;
    if (seen.has(series)) continue;
    seen.add(series);
    switch (s.kind) {
      case 'counter': {
        const base = name.endsWith('_total') ? name : `${name}_total`;
        const [n, f] = family(base, 'counter', s.name);
        f.lines.push(`${n}${labelText(labels)} ${formatValue(s.value)}`);
        break;
      }
      case 'gauge': {
        const [n, f] = family(name, 'gauge', s.name);
        f.lines.push(`${n}${labelText(labels)} ${formatValue(s.value)}`);
        break;
      }
      case 'histogram': {
        const [n, f] = family(name, 'histogram', s.name);
        // Per-bucket strings are the bulk of a scrape: build the label prefix once.
        const inner = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
        const bucketHead = `${n}_bucket{${inner === '' ? '' : `${inner},`}le="`;
        let sawInf = false;
        for (const b of s.buckets) {
          if (b.le === Number.POSITIVE_INFINITY) sawInf = true;
          f.lines.push(`${bucketHead}${leText(b.le)}"} ${formatValue(b.count)}`);
        }
        if (!sawInf) f.lines.push(`${bucketHead}+Inf"} ${formatValue(s.count)}`);
        const lt = inner === '' ? '' : `{${inner}}`;
        f.lines.push(`${n}_sum${lt} ${formatValue(s.sum)}`);
        f.lines.push(`${n}_count${lt} ${formatValue(s.count)}`);
        break;
      }
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
