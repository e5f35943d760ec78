/**
 * Gateway API objects reduced to what routing needs, with the defaults the CRDs' schemas apply
 * (so objects read from files behave like objects read back from the API server): a rule with no
 * matches matches `PathPrefix /`, a match with no path is `PathPrefix /`, header and query matches
 * are `Exact`, backend weight 1, backend group/kind `""`/`Service`, parentRef group/kind
 * `gateway.networking.k8s.io`/`Gateway`, listener `allowedRoutes.namespaces.from: Same`. Every
 * check that can reject a route lives here, so a rejected route is rejected whole, with one
 * message naming the object and field.
 */
import type { KubeObject, LabelSelector } from '@switchyard/k8s';
import { GatewayProblemError } from './errors.js';
import { mirrorShare, normalizeTimeouts, type RuleTimeouts } from './timeouts.js';

/** The Gateway API group. */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}

/** Common metadata of every record. */
export interface ObjectInfo {
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name` (`name` for cluster-scoped kinds). */
  readonly key: string;
  readonly generation: number;
  /** `metadata.creationTimestamp` in ms since the epoch; `+Infinity` when absent. */
  readonly created: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** The common metadata of an object (`key` is `namespace/name`, or `name` when cluster-scoped). */
export function objectInfo(obj: KubeObject, namespaced: boolean): ObjectInfo {
  const meta: Json = isObject(obj?.metadata) ? (obj.metadata as Json) : {};
  const name = str(meta.name) ?? '?';
  const namespace = namespaced ? (str(meta.namespace) ?? 'default') : '';
  const created = Date.parse(str(meta.creationTimestamp) ?? '');
  const labels: Record<string, string> = {};
  if (isObject(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  }
  return {
    namespace,
    name,
    key: namespaced ? `${namespace}/${name}` : name,
    generation: typeof meta.generation === 'number' ? meta.generation : 0,
    created: Number.isNaN(created) ? Number.POSITIVE_INFINITY : created,
    labels,
  };
}

/** A GatewayClass: whose controller it is. */
export interface GatewayClassRecord extends ObjectInfo {
  readonly controllerName: string;
}

/** Normalizes a GatewayClass. */
export function normalizeGatewayClass(obj: KubeObject): GatewayClassRecord {
  const spec = (obj as { spec?: unknown }).spec;
  return Object.freeze({
    ...objectInfo(obj, false),
    controllerName: isObject(spec) ? (str(spec.controllerName) ?? '') : '',
  });
}

/** A route kind a listener admits. */
export interface RouteGroupKind {
  readonly group: string;
  readonly kind: string;
}

/** A reference to a certificate (Secret by default). */
export interface CertificateRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** One listener of a Gateway, defaulted. */
export interface ListenerRecord {
  readonly name: string;
  /** Lower-cased; `undefined` matches every host. */
  readonly hostname: string | undefined;
  readonly port: number;
  readonly protocol: string;
  readonly from: 'All' | 'Same' | 'Selector';
  readonly selector: LabelSelector | undefined;
  /** Kinds as written in `allowedRoutes.kinds`; `undefined` means the protocol's defaults. */
  readonly kinds: readonly RouteGroupKind[] | undefined;
  readonly tlsMode: 'Terminate' | 'Passthrough' | undefined;
  readonly certificateRefs: readonly CertificateRef[];
}

/** A Gateway. */
export interface GatewayRecord extends ObjectInfo {
  readonly className: string;
  readonly listeners: readonly ListenerRecord[];
}

/** Normalizes a Gateway (listeners defaulted). Never rejects: bad listeners are reported in status. */
export function normalizeGateway(obj: KubeObject): GatewayRecord {
  const i = objectInfo(obj, true);
  const raw = (obj as { spec?: unknown }).spec;
  const spec: Json = isObject(raw) ? raw : {};
  const listeners: ListenerRecord[] = [];
  for (const l of list(spec.listeners)) {
    if (!isObject(l)) continue;
    const allowed = isObject(l.allowedRoutes) ? l.allowedRoutes : {};
    const namespaces = isObject(allowed.namespaces) ? allowed.namespaces : {};
    const from = namespaces.from === 'All' || namespaces.from === 'Selector' ? namespaces.from : 'Same';
    const tls = isObject(l.tls) ? l.tls : undefined;
    listeners.push(
      Object.freeze({
        name: str(l.name) ?? '',
        hostname: str(l.hostname)?.toLowerCase(),
        port: typeof l.port === 'number' ? l.port : 0,
        protocol: str(l.protocol) ?? '',
        from,
        selector: isObject(namespaces.selector) ? (namespaces.selector as LabelSelector) : undefined,
        kinds: Array.isArray(allowed.kinds)
          ? allowed.kinds.filter(isObject).map((k) => ({
              group: typeof k.group === 'string' ? k.group : GATEWAY_GROUP,
              kind: str(k.kind) ?? '',
            }))
          : undefined,
        tlsMode: tls ? (tls.mode === 'Passthrough' ? 'Passthrough' : 'Terminate') : undefined,
        certificateRefs: tls
          ? list(tls.certificateRefs)
              .filter(isObject)
              .map((r) => ({
                group: typeof r.group === 'string' ? r.group : '',
                kind: str(r.kind) ?? 'Secret',
                namespace: str(r.namespace) ?? i.namespace,
                name: str(r.name) ?? '',
              }))
          : [],
      }),
    );
  }
  return Object.freeze({
    ...i,
    className: str(spec.gatewayClassName) ?? '',
    listeners: Object.freeze(listeners),
  });
}

/** A `parentRefs[]` entry, defaulted. */
export interface ParentRefRecord {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly sectionName: string | undefined;
  readonly port: number | undefined;
  /** The parentRef as written, echoed in status. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A path match: `value` of a PathPrefix has its trailing `/` removed (except for `/`). */
export type PathMatchRecord =
  | { readonly type: 'Exact'; readonly value: string }
  | { readonly type: 'PathPrefix'; readonly value: string }
  | { readonly type: 'RegularExpression'; readonly value: string; readonly regex: RegExp };

/** A header or query parameter match; header names are lower-cased. */
export type ValueMatchRecord =
  | { readonly type: 'Exact'; readonly name: string; readonly value: string }
  | {
      readonly type: 'RegularExpression';
      readonly name: string;
      readonly value: string;
      readonly regex: RegExp;
    };

/** One `matches[]` entry: every condition must hold. */
export interface MatchRecord {
  readonly path: PathMatchRecord;
  readonly headers: readonly ValueMatchRecord[];
  readonly queryParams: readonly ValueMatchRecord[];
  readonly method: string | undefined;
}

/** One `backendRefs[]` entry, defaulted. */
export interface BackendRefRecord {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port: number | undefined;
  readonly weight: number;
}

/** One rule. `filters` are kept as written (applied by the filter layers). */
export interface RuleRecord {
  readonly index: number;
  readonly matches: readonly MatchRecord[];
  readonly backendRefs: readonly BackendRefRecord[];
  readonly filters: readonly Readonly<Record<string, unknown>>[];
  /** `timeouts`, parsed; `undefined` when none is set (or every one is `0s`). */
  readonly timeouts: RuleTimeouts | undefined;
}

/** Checks the `RequestMirror` filters of a rule (the CRD's validation, for manifests). */
export function checkMirrors(
  filters: readonly Json[],
  field: string,
  problem: (field: string, reason: string) => GatewayProblemError,
): GatewayProblemError | undefined {
  for (let f = 0; f < filters.length; f++) {
    const filter = filters[f]!;
    if (filter.type !== 'RequestMirror') continue;
    const at = `${field}.filters[${f}].requestMirror`;
    const m = filter.requestMirror;
    if (!isObject(m)) return problem(at, 'missing');
    const ref = m.backendRef;
    if (!isObject(ref) || str(ref.name) === undefined) return problem(`${at}.backendRef.name`, 'missing');
    const kind = str(ref.kind) ?? 'Service';
    if ((ref.group ?? '') === '' && kind === 'Service' && typeof ref.port !== 'number')
      return problem(`${at}.backendRef.port`, 'a Service backend needs a port');
    if (m.percent !== undefined && m.fraction !== undefined)
      return problem(at, 'only one of percent and fraction may be set');
    const share = mirrorShare(m);
    if (typeof share === 'string') return problem(at, share);
  }
  return undefined;
}

/** An HTTPRoute. */
export interface HttpRouteRecord extends ObjectInfo {
  readonly kind: 'HTTPRoute';
  /** Lower-cased. Empty means every host the listener allows. */
  readonly hostnames: readonly string[];
  readonly parentRefs: readonly ParentRefRecord[];
  readonly rules: readonly RuleRecord[];
}

/** A ReferenceGrant. */
export interface ReferenceGrantRecord extends ObjectInfo {
  readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
  readonly to: readonly {
    readonly group: string;
    readonly kind: string;
    readonly name: string | undefined;
  }[];
}

/** Normalizes a ReferenceGrant. */
export function normalizeReferenceGrant(obj: KubeObject): ReferenceGrantRecord {
  const raw = (obj as { spec?: unknown }).spec;
  const spec: Json = isObject(raw) ? raw : {};
  return Object.freeze({
    ...objectInfo(obj, true),
    from: list(spec.from)
      .filter(isObject)
      .map((f) => ({
        group: String(f.group ?? ''),
        kind: String(f.kind ?? ''),
        namespace: String(f.namespace ?? ''),
      })),
    to: list(spec.to)
      .filter(isObject)
      .map((t) => ({ group: String(t.group ?? ''), kind: String(t.kind ?? ''), name: str(t.name) })),
  });
}

/** A Namespace: its labels, for `allowedRoutes.namespaces.from: Selector`. */
export function normalizeNamespace(obj: KubeObject): ObjectInfo {
  return Object.freeze(objectInfo(obj, false));
}

/** Normalizes `parentRefs` (shared by every route kind). */
export function normalizeParentRefs(spec: Json, namespace: string): ParentRefRecord[] {
  return list(spec.parentRefs)
    .filter(isObject)
    .map((p) =>
      Object.freeze({
        group: typeof p.group === 'string' ? p.group : GATEWAY_GROUP,
        kind: str(p.kind) ?? 'Gateway',
        namespace: str(p.namespace) ?? namespace,
        name: str(p.name) ?? '',
        sectionName: str(p.sectionName),
        port: typeof p.port === 'number' ? p.port : undefined,
        raw: Object.freeze({ ...p }),
      }),
    );
}

/** Compiles a Gateway API regular expression (full match, as RE2 `FullMatch`), or a reason. */
export function fullMatch(pattern: string): RegExp | string {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message}`;
  }
}

/** `PathPrefix` values ignore a trailing `/`. */
export function normalizePrefix(value: string): string {
  return value.length > 1 && value.endsWith('/') ? value.replace(/\/+$/, '') || '/' : value;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** Normalizes header (`header: true`, names lower-cased) or query parameter matches. */
export function valueMatches(
  raw: unknown,
  field: string,
  header: boolean,
  problem: (field: string, reason: string) => GatewayProblemError,
): ValueMatchRecord[] | GatewayProblemError {
  const out: ValueMatchRecord[] = [];
  const seen = new Set<string>();
  const items = list(raw);
  for (let i = 0; i < items.length; i++) {
    const m = items[i];
    const f = `${field}[${i}]`;
    if (!isObject(m)) return problem(f, 'is not an object');
    let name = str(m.name);
    if (name === undefined || (header && !TOKEN.test(name)))
      return problem(`${f}.name`, 'missing or not a valid name');
    if (header) name = name.toLowerCase();
    const value = typeof m.value === 'string' ? m.value : undefined;
    if (value === undefined) return problem(`${f}.value`, 'missing');
    // Only the first match of a name counts (the spec's rule for duplicates).
    if (seen.has(name)) continue;
    seen.add(name);
    const type = m.type ?? 'Exact';
    if (type === 'Exact') out.push(Object.freeze({ type, name, value }));
    else if (type === 'RegularExpression') {
      const regex = fullMatch(value);
      if (typeof regex === 'string') return problem(`${f}.value`, regex);
      out.push(Object.freeze({ type, name, value, regex }));
    } else return problem(`${f}.type`, `unsupported match type ${JSON.stringify(type)}`);
  }
  return out;
}

function normalizeMatch(
  m: Json,
  field: string,
  problem: (field: string, reason: string) => GatewayProblemError,
): MatchRecord | GatewayProblemError {
  const rawPath = isObject(m.path) ? m.path : {};
  const type = rawPath.type ?? 'PathPrefix';
  const value = typeof rawPath.value === 'string' ? rawPath.value : '/';
  let path: PathMatchRecord;
  if (type === 'Exact' || type === 'PathPrefix') {
    if (!value.startsWith('/')) return problem(`${field}.path.value`, `"${value}" must start with "/"`);
    path = Object.freeze({ type, value: type === 'PathPrefix' ? normalizePrefix(value) : value });
  } else if (type === 'RegularExpression') {
    const regex = fullMatch(value);
    if (typeof regex === 'string') return problem(`${field}.path.value`, regex);
    path = Object.freeze({ type, value, regex });
  } else return problem(`${field}.path.type`, `unsupported path match type ${JSON.stringify(type)}`);
  const headers = valueMatches(m.headers, `${field}.headers`, true, problem);
  if (headers instanceof GatewayProblemError) return headers;
  const queryParams = valueMatches(m.queryParams, `${field}.queryParams`, false, problem);
  if (queryParams instanceof GatewayProblemError) return queryParams;
  const method = str(m.method);
  return Object.freeze({
    path,
    headers: Object.freeze(headers),
    queryParams: Object.freeze(queryParams),
    method: method?.toUpperCase(),
  });
}

const DEFAULT_MATCH: MatchRecord = Object.freeze({
  path: Object.freeze({ type: 'PathPrefix', value: '/' }),
  headers: Object.freeze([]),
  queryParams: Object.freeze([]),
  method: undefined,
});

/** Normalizes backendRefs (shared by route kinds); a Service ref needs a port. */
export function normalizeBackendRefs(
  raw: unknown,
  field: string,
  namespace: string,
  problem: (field: string, reason: string) => GatewayProblemError,
): BackendRefRecord[] | GatewayProblemError {
  const out: BackendRefRecord[] = [];
  const items = list(raw);
  for (let b = 0; b < items.length; b++) {
    const ref = items[b];
    const f = `${field}[${b}]`;
    if (!isObject(ref)) return problem(f, 'is not an object');
    const name = str(ref.name);
    if (name === undefined) return problem(`${f}.name`, 'missing');
    const group = typeof ref.group === 'string' ? ref.group : '';
    const kind = str(ref.kind) ?? 'Service';
    const port = typeof ref.port === 'number' && Number.isInteger(ref.port) ? ref.port : undefined;
    if (group === '' && kind === 'Service' && port === undefined)
      return problem(`${f}.port`, 'a Service backend needs a port');
    const weight = ref.weight === undefined ? 1 : ref.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 1_000_000)
      return problem(`${f}.weight`, 'must be an integer from 0 to 1000000');
    out.push(Object.freeze({ group, kind, namespace: str(ref.namespace) ?? namespace, name, port, weight }));
  }
  return out;
}

/**
 * Normalizes an HTTPRoute with the CRD defaults. Returns the record, or the problem that makes the
 * whole route unusable (the route is then not Accepted, reason `UnsupportedValue`).
 */
export function normalizeHttpRoute(obj: KubeObject): HttpRouteRecord | GatewayProblemError {
  const i = objectInfo(obj, true);
  const problem = (field: string, reason: string) =>
    new GatewayProblemError(`HTTPRoute ${i.key}`, field, reason);
  const raw = (obj as { spec?: unknown }).spec;
  const spec: Json = isObject(raw) ? raw : {};
  const hostnames = list(spec.hostnames)
    .filter((h): h is string => typeof h === 'string' && h !== '')
    .map((h) => h.toLowerCase());
  const rawRules = spec.rules === undefined ? [{}] : list(spec.rules);
  const rules: RuleRecord[] = [];
  for (let r = 0; r < rawRules.length; r++) {
    const rule = rawRules[r];
    const field = `spec.rules[${r}]`;
    if (!isObject(rule)) return problem(field, 'is not an object');
    const matches: MatchRecord[] = [];
    const rawMatches = rule.matches === undefined ? [] : list(rule.matches);
    for (let m = 0; m < rawMatches.length; m++) {
      const match = rawMatches[m];
      if (!isObject(match)) return problem(`${field}.matches[${m}]`, 'is not an object');
      const rec = normalizeMatch(match, `${field}.matches[${m}]`, problem);
      if (rec instanceof GatewayProblemError) return rec;
      matches.push(rec);
    }
    if (matches.length === 0) matches.push(DEFAULT_MATCH);
    const backendRefs = normalizeBackendRefs(rule.backendRefs, `${field}.backendRefs`, i.namespace, problem);
    if (backendRefs instanceof GatewayProblemError) return backendRefs;
    const filters = list(rule.filters).filter(isObject);
    const mirrorProblem = checkMirrors(filters, field, problem);
    if (mirrorProblem !== undefined) return mirrorProblem;
    const timeouts = normalizeTimeouts(rule.timeouts);
    if (timeouts !== undefined && 'reason' in timeouts)
      return problem(`${field}.${timeouts.field}`, timeouts.reason);
    rules.push(
      Object.freeze({
        index: r,
        matches: Object.freeze(matches),
        backendRefs: Object.freeze(backendRefs),
        filters: Object.freeze(filters),
        timeouts,
      }),
    );
  }
  return Object.freeze({
    ...i,
    kind: 'HTTPRoute',
    hostnames: Object.freeze(hostnames),
    parentRefs: Object.freeze(normalizeParentRefs(spec, i.namespace)),
    rules: Object.freeze(rules),
  });
}
