/**
 * One normalized shape for every Ingress version we accept. `networking.k8s.io/v1` nests the
 * backend (`service: {name, port: {name | number}}`, `defaultBackend`); `extensions/v1beta1` and
 * `networking.k8s.io/v1beta1` inline it (`serviceName`, `servicePort`, `backend`). Matching code
 * should not care which one a user wrote, and every check that can reject an Ingress lives here,
 * so that a rejected Ingress is rejected whole, with one message naming the object and field.
 */
import type { KubeObject } from '@switchyard/k8s';
import { IngressProblemError } from './errors.js';

/** How a rule path is compared. `Regex` is `compat: linkerd1`'s full-match Java-style regex. */
export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** A Service backend: the Ingress's namespace, the service name, and the port as written. */
export interface IngressServiceBackend {
  readonly namespace: string;
  readonly service: string;
  /** Port as written in the Ingress: a number (`"80"`) or a Service port name (`"http"`). */
  readonly port: string;
}

/** One `rules[].http.paths[]` entry. */
export interface IngressPathRecord {
  /** `path` as written; `undefined` when absent. */
  readonly path: string | undefined;
  /** As written; `ImplementationSpecific` when absent (the API server's default for v1beta1). */
  readonly pathType: IngressPathType;
  readonly backend: IngressServiceBackend;
  readonly ruleIndex: number;
  readonly pathIndex: number;
}

/** One rule: an optional host (lower-cased in default mode) and its paths. */
export interface IngressRuleRecord {
  /** `undefined` matches every host; `*.foo.com` is a wildcard of exactly one label. */
  readonly host: string | undefined;
  readonly paths: readonly IngressPathRecord[];
}

/** `spec.tls[]`: hosts served with the certificate in Secret `secretName` (same namespace). */
export interface IngressTlsRecord {
  readonly hosts: readonly string[];
  readonly secretName: string | undefined;
}

/** An Ingress reduced to what routing needs. */
export interface IngressRecord {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** The apiVersion the object was read as (`networking.k8s.io/v1`, `extensions/v1beta1`, …). */
  readonly apiVersion: string;
  /** `metadata.creationTimestamp` in ms since the epoch; `+Infinity` when absent or unparsable. */
  readonly created: number;
  readonly resourceVersion: string | undefined;
  /** `spec.ingressClassName`. */
  readonly className: string | undefined;
  /** `metadata.annotations["kubernetes.io/ingress.class"]`. */
  readonly classAnnotation: string | undefined;
  readonly rules: readonly IngressRuleRecord[];
  readonly defaultBackend: IngressServiceBackend | undefined;
  readonly tls: readonly IngressTlsRecord[];
  /** Spec, annotations and labels as JSON: equal strings mean "not modified" (a status-only change). */
  readonly fingerprint: string;
  /** The object as received (for status writes). */
  readonly object: KubeObject;
}

/** The legacy class annotation (deprecated by `spec.ingressClassName`, still honoured). */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

/** A wildcard host is `*.` followed by a DNS name; `*` anywhere else is invalid (networking/v1 validation). */
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Normalizes one Ingress object of any accepted version. Returns the record, or the problem that
 * makes the whole Ingress unusable. `lowerHosts` lower-cases hosts (default mode: hosts are
 * case-insensitive); `compat: linkerd1` keeps them as written.
 */
export function normalizeIngress(
  obj: KubeObject,
  options: { readonly lowerHosts: boolean; readonly defaultApiVersion?: string },
): IngressRecord | IngressProblemError {
  const meta = isObject(obj?.metadata) ? obj.metadata : undefined;
  const name = str(meta?.name);
  const namespace = str(meta?.namespace) ?? 'default';
  const key = `${namespace}/${name ?? '?'}`;
  if (name === undefined) return new IngressProblemError(key, 'metadata.name', 'missing');
  const apiVersion = str(obj.apiVersion) ?? options.defaultApiVersion ?? 'networking.k8s.io/v1';
  const rawSpec = (obj as { spec?: unknown }).spec;
  const spec: Json = isObject(rawSpec) ? rawSpec : {};
  const problem = (field: string, reason: string) => new IngressProblemError(key, field, reason);

  const backendOf = (raw: unknown, field: string): IngressServiceBackend | IngressProblemError => {
    if (!isObject(raw)) return problem(field, 'missing');
    if (raw.resource !== undefined) {
      return problem(field, 'resource backends are not supported (only Service backends)');
    }
    let service: string | undefined;
    let port: string | undefined;
    if (isObject(raw.service)) {
      service = str(raw.service.name);
      const p = raw.service.port;
      if (isObject(p)) {
        if (typeof p.number === 'number' && Number.isInteger(p.number) && p.number > 0)
          port = String(p.number);
        else port = str(p.name);
      }
      if (service === undefined) return problem(`${field}.service.name`, 'missing service name');
      if (port === undefined) return problem(`${field}.service.port`, 'needs a port name or number');
    } else {
      service = str(raw.serviceName);
      const p = raw.servicePort;
      port = typeof p === 'number' && Number.isInteger(p) && p > 0 ? String(p) : str(p);
      if (service === undefined) return problem(`${field}.serviceName`, 'missing service name');
      if (port === undefined) return problem(`${field}.servicePort`, 'needs a port name or number');
    }
    return Object.freeze({ namespace, service, port });
  };

  let defaultBackend: IngressServiceBackend | undefined;
  const rawDefault = spec.defaultBackend ?? spec.backend;
  if (rawDefault !== undefined) {
    const b = backendOf(
      rawDefault,
      spec.defaultBackend !== undefined ? 'spec.defaultBackend' : 'spec.backend',
    );
    if (b instanceof IngressProblemError) return b;
    defaultBackend = b;
  }

  const rules: IngressRuleRecord[] = [];
  const rawRules = spec.rules ?? [];
  if (!Array.isArray(rawRules)) return problem('spec.rules', 'is not a list');
  for (let r = 0; r < rawRules.length; r++) {
    const rule: unknown = rawRules[r];
    if (!isObject(rule)) return problem(`spec.rules[${r}]`, 'is not an object');
    let host = str(rule.host);
    if (host !== undefined) {
      // Linkerd 1 compared any host string literally; only the default mode validates.
      if (options.lowerHosts) host = host.toLowerCase();
      if (options.lowerHosts && !HOST.test(host)) {
        return problem(`spec.rules[${r}].host`, `"${host}" is not a DNS name or a "*.<name>" wildcard`);
      }
    }
    const http = rule.http;
    // A rule without `http` routes nothing (Linkerd 1 and Kubernetes agree).
    if (http === undefined) continue;
    if (!isObject(http) || !Array.isArray(http.paths))
      return problem(`spec.rules[${r}].http.paths`, 'missing');
    const paths: IngressPathRecord[] = [];
    for (let p = 0; p < http.paths.length; p++) {
      const field = `spec.rules[${r}].http.paths[${p}]`;
      const raw: unknown = http.paths[p];
      if (!isObject(raw)) return problem(field, 'is not an object');
      const path = typeof raw.path === 'string' && raw.path !== '' ? raw.path : undefined;
      const t = raw.pathType;
      if (t !== undefined && t !== 'Exact' && t !== 'Prefix' && t !== 'ImplementationSpecific') {
        return problem(`${field}.pathType`, `unknown pathType ${JSON.stringify(t)}`);
      }
      const pathType: IngressPathType = t ?? 'ImplementationSpecific';
      if (pathType !== 'ImplementationSpecific' && path !== undefined && !path.startsWith('/')) {
        return problem(`${field}.path`, `${pathType} path "${path}" must start with "/"`);
      }
      const backend = backendOf(raw.backend, `${field}.backend`);
      if (backend instanceof IngressProblemError) return backend;
      paths.push(Object.freeze({ path, pathType, backend, ruleIndex: r, pathIndex: p }));
    }
    rules.push(Object.freeze({ host, paths: Object.freeze(paths) }));
  }

  const tls: IngressTlsRecord[] = [];
  if (Array.isArray(spec.tls)) {
    for (const t of spec.tls) {
      if (!isObject(t)) continue;
      const hosts = Array.isArray(t.hosts) ? t.hosts.filter((h): h is string => typeof h === 'string') : [];
      tls.push(Object.freeze({ hosts: Object.freeze(hosts), secretName: str(t.secretName) }));
    }
  }

  const created = Date.parse(str(meta?.creationTimestamp) ?? '');
  const annotations = isObject(meta?.annotations) ? meta.annotations : {};
  return Object.freeze({
    key,
    namespace,
    name,
    apiVersion,
    created: Number.isNaN(created) ? Number.POSITIVE_INFINITY : created,
    resourceVersion: str(meta?.resourceVersion),
    className: str(spec.ingressClassName),
    classAnnotation:
      typeof annotations[INGRESS_CLASS_ANNOTATION] === 'string'
        ? (annotations[INGRESS_CLASS_ANNOTATION] as string)
        : undefined,
    rules: Object.freeze(rules),
    defaultBackend,
    tls: Object.freeze(tls),
    fingerprint: JSON.stringify([spec, annotations, meta?.labels ?? {}]),
    object: obj,
  });
}

/** Orders Ingresses oldest first, then by `namespace/name`: the documented tie-break. */
export function compareAge(a: IngressRecord, b: IngressRecord): number {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
