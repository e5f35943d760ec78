/**
 * How a stats scope path becomes a Prometheus metric name plus labels.
 *
 * Scope segments that identify *instances* — a router, a server address, a logical name, a bound
 * client, an endpoint address, a certificate — become labels, as Linkerd 1's `io.l5d.prometheus`
 * telemeter did for `rt`, `server`, `service` and `client`; only the fixed words stay in the name,
 * so the number of metric names is bounded by the code, not by the traffic. Names follow the
 * Prometheus conventions (https://prometheus.io/docs/practices/naming/): `snake_case` joined by
 * `_` (colons are reserved for recording rules), base units (`_ms` becomes `_seconds`, the values
 * are scaled), and a counter's `_total` exactly once.
 *
 * | scope                                         | name                               | labels                        |
 * | --------------------------------------------- | ---------------------------------- | ----------------------------- |
 * | `rt/<r>/server/<ip>/<port>/requests`          | `rt_server_requests_total`         | `rt`, `server="<ip>/<port>"`  |
 * | `rt/<r>/service/<svc>/retries/total`          | `rt_service_retries_total`         | `rt`, `service`               |
 * | `rt/<r>/client/<id>/service/<svc>/requests`   | `rt_client_service_requests_total` | `rt`, `client`, `service`     |
 * | `rt/<r>/client/<id>/endpoint/<h:p>/requests`  | `rt_client_endpoint_requests_total`| `rt`, `client`, `endpoint`    |
 * | `rt/<r>/server/<ip>/<port>/tls/certificate/<c>/expires_in_seconds` | `rt_server_tls_certificate_expires_in_seconds` | `rt`, `server`, `certificate` |
 * | `rt/<r>/<x>/request_latency_ms` (histogram)   | `rt_<x>_request_latency_seconds`   | `rt`                          |
 * | `zipkin/spans_sent`                           | `zipkin_spans_sent_total`          | –                             |
 */
import type { MetricSample } from '@switchyard/core';

/** A metric name and its labels, after mapping a scope path. */
export interface PrometheusName {
  /** The family name (a counter's includes `_total`). */
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  /** Multiply values (and histogram bounds) by this: `0.001` when milliseconds became seconds. */
  readonly scale: number;
  /** The scope path with each label value shown as a star, for HELP text. */
  readonly scope: string;
}

/**
 * Scope words whose next segment is an instance, exported as a label of the same name. A server
 * is `ip/port`: one segment, or two when the router scoped ip and port apart.
 */
const LABEL_SCOPES = new Set(['server', 'service', 'client', 'endpoint', 'certificate']);

/** Replaces every character outside `[a-zA-Z0-9_]` by `_`; a leading digit gets a `_` in front. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/**
 * Maps a scope path to a Prometheus name and labels (see the module table). `kind` decides the
 * `_total` suffix. A label word is taken as such only when a stat name follows its value, and
 * each label only once.
 */
export function prometheusName(
  scope: readonly string[],
  kind: MetricSample['kind'] = 'gauge',
  prefix = '',
): PrometheusName {
  const labels: [string, string][] = [];
  const words: string[] = [];
  const help: string[] = [];
  const taken = new Set<string>();
  let i = 0;
  if (scope[0] === 'rt' && scope.length >= 3) {
    labels.push(['rt', scope[1] as string]);
    taken.add('rt');
    words.push('rt');
    help.push('rt', '*');
    i = 2;
  }
  while (i < scope.length) {
    const seg = scope[i] as string;
    const left = scope.length - i - 1; // segments after this one
    if (LABEL_SCOPES.has(seg) && !taken.has(seg) && left >= 2) {
      const value = scope[i + 1] as string;
      // `server/<ip>/<port>/<stat>`: ip and port as two segments.
      const twoPart =
        seg === 'server' && !value.includes('/') && left >= 3 && /^[0-9]+$/.test(scope[i + 2] as string);
      labels.push([seg, twoPart ? `${value}/${scope[i + 2]}` : value]);
      taken.add(seg);
      words.push(seg);
      help.push(seg, '*');
      i += twoPart ? 3 : 2;
    } else {
      words.push(seg);
      help.push(seg);
      i++;
    }
  }
  let name = sanitizeMetricName(prefix + words.join('_')).replace(/__+/g, '_');
  let scale = 1;
  // Base units: milliseconds are exported as seconds.
  if (name.endsWith('_ms')) {
    name = `${name.slice(0, -3)}_seconds`;
    scale = 0.001;
  }
  if (kind === 'counter' && !name.endsWith('_total')) name = `${name}_total`;
  return { name, labels, scale, scope: help.join('/') };
}
