/**
 * GRPCRoute matching as pure functions: a request is its path `/<package.Service>/<Method>` and
 * its headers. A rule's match names the service and/or method, `Exact` (default) or
 * `RegularExpression` (full match), plus header matches (all must hold); a rule's matches OR, no
 * match means every call. Backends are named exactly as an HTTPRoute's
 * (`<dstPrefix>/<namespace>/<port>/<service>`, weighted unions through the per-request dtab),
 * with the same ReferenceGrant and Service checks. io.l5d.httproute uses these for requests with
 * `content-type: application/grpc…` (./route-table.ts compiles the routes, ./identifier.ts decides).
 *
 * Precedence (Gateway API, GRPCRouteRule): hostname specificity (exact name, then longer
 * wildcard suffix, then none), then more characters in a matching service, then in a matching
 * method, then more header matches, then the oldest route, then `namespace/name`, then rule and
 * match order. A `RegularExpression` service or method counts after every `Exact` one (then by
 * pattern length): how many characters a pattern matches is not defined by the spec.
 */
import type { RequestHead } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';
import type { MirrorRecord } from './actions.js';
import type { RuleTarget } from './backends.js';
import { GatewayProblemError } from './errors.js';
import { ANY_HOST, lookupChain } from './hostnames.js';
import {
  type BackendRefRecord,
  checkMirrors,
  fullMatch,
  normalizeBackendRefs,
  normalizeParentRefs,
  type ObjectInfo,
  objectInfo,
  type ParentRefRecord,
  type ValueMatchRecord,
  valueMatches,
} from './model.js';
import { headerValues, valueHolds } from './route-index.js';

type Json = Readonly<Record<string, unknown>>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A service or method condition. */
export type GrpcNameMatch =
  | { readonly type: 'Exact'; readonly value: string }
  | { readonly type: 'RegularExpression'; readonly value: string; readonly regex: RegExp };

/** One `matches[]` entry of a GRPCRoute rule. */
export interface GrpcMatchRecord {
  readonly service: GrpcNameMatch | undefined;
  readonly method: GrpcNameMatch | undefined;
  readonly headers: readonly ValueMatchRecord[];
}

/** One GRPCRoute rule. */
export interface GrpcRuleRecord {
  readonly index: number;
  readonly matches: readonly GrpcMatchRecord[];
  readonly backendRefs: readonly BackendRefRecord[];
  readonly filters: readonly Json[];
}

/** A GRPCRoute, defaulted. */
export interface GrpcRouteRecord extends ObjectInfo {
  readonly kind: 'GRPCRoute';
  readonly hostnames: readonly string[];
  readonly parentRefs: readonly ParentRefRecord[];
  readonly rules: readonly GrpcRuleRecord[];
}

/** The filter types of the GRPCRoute CRD (`RequestRedirect` and `URLRewrite` are HTTPRoute's only). */
const GRPC_FILTERS: ReadonlySet<string> = new Set([
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestMirror',
  'ExtensionRef',
]);

const SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

const MATCH_ALL: GrpcMatchRecord = Object.freeze({
  service: undefined,
  method: undefined,
  headers: Object.freeze([]),
});

function nameMatch(
  type: unknown,
  value: unknown,
  field: string,
  exact: RegExp,
  problem: (field: string, reason: string) => GatewayProblemError,
): GrpcNameMatch | undefined | GatewayProblemError {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return problem(field, 'must be a non-empty string');
  if (type === 'Exact') {
    if (!exact.test(value)) return problem(field, `"${value}" is not a valid name for an Exact match`);
    return Object.freeze({ type, value });
  }
  const regex = fullMatch(value);
  if (typeof regex === 'string') return problem(field, regex);
  return Object.freeze({ type: 'RegularExpression', value, regex });
}

/**
 * Normalizes a GRPCRoute with the CRD defaults and checks (method match type `Exact`, at least
 * one of `service`/`method`, names valid for `Exact`, regular expressions compiling; header
 * names valid; Service backends with a port; filters of the GRPCRoute types only, `RequestMirror`
 * ones complete). Returns the problem that makes the route unusable.
 */
export function normalizeGrpcRoute(obj: KubeObject): GrpcRouteRecord | GatewayProblemError {
  const i = objectInfo(obj, true);
  const problem = (field: string, reason: string) =>
    new GatewayProblemError(`GRPCRoute ${i.key}`, field, reason);
  const raw = (obj as { spec?: unknown }).spec;
  const spec: Json = isObject(raw) ? raw : {};
  const hostnames = (Array.isArray(spec.hostnames) ? spec.hostnames : [])
    .filter((h): h is string => typeof h === 'string' && h !== '')
    .map((h) => h.toLowerCase());
  const rawRules = spec.rules === undefined ? [{}] : Array.isArray(spec.rules) ? spec.rules : [];
  const rules: GrpcRuleRecord[] = [];
  for (let r = 0; r < rawRules.length; r++) {
    const rule: unknown = rawRules[r];
    const field = `spec.rules[${r}]`;
    if (!isObject(rule)) return problem(field, 'is not an object');
    const matches: GrpcMatchRecord[] = [];
    const rawMatches = Array.isArray(rule.matches) ? rule.matches : [];
    for (let m = 0; m < rawMatches.length; m++) {
      const match: unknown = rawMatches[m];
      const at = `${field}.matches[${m}]`;
      if (!isObject(match)) return problem(at, 'is not an object');
      let service: GrpcNameMatch | undefined;
      let method: GrpcNameMatch | undefined;
      if (match.method !== undefined) {
        if (!isObject(match.method)) return problem(`${at}.method`, 'is not an object');
        const type = match.method.type ?? 'Exact';
        if (type !== 'Exact' && type !== 'RegularExpression')
          return problem(`${at}.method.type`, `unsupported match type ${JSON.stringify(type)}`);
        const s = nameMatch(type, match.method.service, `${at}.method.service`, SERVICE, problem);
        if (s instanceof GatewayProblemError) return s;
        const me = nameMatch(type, match.method.method, `${at}.method.method`, METHOD, problem);
        if (me instanceof GatewayProblemError) return me;
        if (s === undefined && me === undefined)
          return problem(`${at}.method`, 'one or both of service and method must be set');
        service = s;
        method = me;
      }
      const headers = valueMatches(match.headers, `${at}.headers`, true, problem);
      if (headers instanceof GatewayProblemError) return headers;
      matches.push(Object.freeze({ service, method, headers: Object.freeze(headers) }));
    }
    if (matches.length === 0) matches.push(MATCH_ALL);
    const backendRefs = normalizeBackendRefs(rule.backendRefs, `${field}.backendRefs`, i.namespace, problem);
    if (backendRefs instanceof GatewayProblemError) return backendRefs;
    const filters = (Array.isArray(rule.filters) ? rule.filters : []).filter(isObject);
    for (let f = 0; f < filters.length; f++) {
      const type = filters[f]!.type;
      if (typeof type !== 'string' || !GRPC_FILTERS.has(type))
        return problem(
          `${field}.filters[${f}].type`,
          `${JSON.stringify(type)} is not a GRPCRoute filter (${[...GRPC_FILTERS].join(', ')})`,
        );
    }
    const mirrorProblem = checkMirrors(filters, field, problem);
    if (mirrorProblem !== undefined) return mirrorProblem;
    rules.push(
      Object.freeze({
        index: r,
        matches: Object.freeze(matches),
        backendRefs: Object.freeze(backendRefs),
        filters: Object.freeze(filters),
      }),
    );
  }
  return Object.freeze({
    ...i,
    kind: 'GRPCRoute',
    hostnames: Object.freeze(hostnames),
    parentRefs: Object.freeze(normalizeParentRefs(spec, i.namespace)),
    rules: Object.freeze(rules),
  });
}

/** The service and method of a gRPC request path `/<service>/<method>`, or `undefined`. */
export function splitGrpcPath(path: string): { service: string; method: string } | undefined {
  if (!path.startsWith('/')) return undefined;
  const slash = path.indexOf('/', 1);
  if (slash <= 1 || slash === path.length - 1 || path.indexOf('/', slash + 1) !== -1) return undefined;
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}

/** One (route, rule, match) of the table. */
export interface GrpcIndexEntry {
  readonly route: GrpcRouteRecord;
  readonly rule: GrpcRuleRecord;
  readonly matchIndex: number;
  readonly match: GrpcMatchRecord;
  readonly target: RuleTarget;
  /** The rule's valid `RequestMirror` filters (shared by its matches); absent or empty: none. */
  readonly mirrors?: readonly MirrorRecord[];
}

/** [kind rank (Exact 2, RegularExpression 1, none 0), characters]. */
function rank(m: GrpcNameMatch | undefined): [number, number] {
  if (m === undefined) return [0, 0];
  return [m.type === 'Exact' ? 2 : 1, m.value.length];
}

/** Orders the entries of one hostname key by the spec's precedence (the first that holds wins). */
export function compareGrpcEntries(a: GrpcIndexEntry, b: GrpcIndexEntry): number {
  for (const pick of [(m: GrpcMatchRecord) => m.service, (m: GrpcMatchRecord) => m.method]) {
    const [ka, la] = rank(pick(a.match));
    const [kb, lb] = rank(pick(b.match));
    if (ka !== kb) return kb - ka;
    if (la !== lb) return lb - la;
  }
  if (a.match.headers.length !== b.match.headers.length)
    return b.match.headers.length - a.match.headers.length;
  if (a.route.created !== b.route.created) return a.route.created < b.route.created ? -1 : 1;
  if (a.route.key !== b.route.key) return a.route.key < b.route.key ? -1 : 1;
  if (a.rule.index !== b.rule.index) return a.rule.index - b.rule.index;
  return a.matchIndex - b.matchIndex;
}

function nameHolds(m: GrpcNameMatch | undefined, value: string): boolean {
  if (m === undefined) return true;
  return m.type === 'Exact' ? m.value === value : m.regex.test(value);
}

/** Whether a match holds for a call (service, method, headers of `req`). */
export function grpcMatchHolds(
  m: GrpcMatchRecord,
  call: { readonly service: string; readonly method: string },
  req: Pick<RequestHead, 'headers'>,
): boolean {
  if (!nameHolds(m.service, call.service) || !nameHolds(m.method, call.method)) return false;
  for (const h of m.headers) if (!valueHolds(h, headerValues(req as RequestHead, h.name))) return false;
  return true;
}

/** The compiled GRPCRoute table. */
export interface GrpcRouteIndex {
  /** The winning entry for a call to `path` on `hostname` (lower-case, no port), or `undefined`. */
  match(hostname: string, path: string, req: Pick<RequestHead, 'headers'>): GrpcIndexEntry | undefined;
  readonly size: number;
}

/** An entry to index under the given hostname keys (`undefined` = any host). */
export interface GrpcIndexInput {
  readonly hostnames: readonly (string | undefined)[];
  readonly entry: GrpcIndexEntry;
}

/**
 * A GRPCRoute table updated route by route, as ./route-index.ts's HTTPRoute table: `update`
 * replaces the entries of the routes it is given and re-sorts only the hostname lists they touch.
 */
export interface MutableGrpcRouteIndex extends GrpcRouteIndex {
  /** Replaces the entries of each `routeKey` (`namespace/name`); `undefined` removes the route. */
  update(changes: Iterable<readonly [routeKey: string, inputs: readonly GrpcIndexInput[] | undefined]>): void;
  /** Every hostname list in precedence order, one line per entry (tests). */
  dump(): string[];
}

/** An empty {@link MutableGrpcRouteIndex}. */
export function createMutableGrpcRouteIndex(): MutableGrpcRouteIndex {
  const tables = new Map<string, GrpcIndexEntry[]>();
  /** The hostname keys each route has entries under, and how many. */
  const placements = new Map<string, ReadonlyMap<string, number>>();
  let size = 0;

  function removeRoute(routeKey: string): void {
    const placed = placements.get(routeKey);
    if (placed === undefined) return;
    placements.delete(routeKey);
    for (const [key, count] of placed) {
      const list = tables.get(key);
      if (list === undefined) continue;
      // In place: the list stays sorted, only this route's entries go.
      let w = 0;
      for (let r = 0; r < list.length; r++) if (list[r]!.route.key !== routeKey) list[w++] = list[r]!;
      list.length = w;
      size -= count;
      if (w === 0) tables.delete(key);
    }
  }

  function addRoute(routeKey: string, inputs: readonly GrpcIndexInput[], touched: Set<GrpcIndexEntry[]>) {
    const counts = new Map<string, number>();
    for (const { hostnames, entry } of inputs) {
      for (const h of new Set(hostnames)) {
        const key = h ?? ANY_HOST;
        let list = tables.get(key);
        if (list === undefined) {
          list = [];
          tables.set(key, list);
        }
        list.push(entry);
        touched.add(list);
        counts.set(key, (counts.get(key) ?? 0) + 1);
        size++;
      }
    }
    if (counts.size > 0) placements.set(routeKey, counts);
  }

  return {
    get size() {
      return size;
    },
    update(changes) {
      const touched = new Set<GrpcIndexEntry[]>();
      for (const [routeKey, inputs] of changes) {
        removeRoute(routeKey);
        if (inputs !== undefined && inputs.length > 0) addRoute(routeKey, inputs, touched);
      }
      for (const list of touched) list.sort(compareGrpcEntries);
    },
    dump() {
      const out: string[] = [];
      for (const key of [...tables.keys()].sort())
        for (const e of tables.get(key)!)
          out.push(
            `${key} ${e.route.key}#${e.rule.index}.${e.matchIndex} -> ${
              e.target.kind === 'error' ? `500 ${e.target.reason}` : `/${e.target.path.join('/')}`
            }`,
          );
      return out;
    },
    match(hostname, path, req) {
      const call = splitGrpcPath(path);
      if (call === undefined) return undefined;
      for (const key of lookupChain(hostname)) {
        const list = tables.get(key);
        if (list === undefined) continue;
        for (const e of list) if (grpcMatchHolds(e.match, call, req)) return e;
      }
      return undefined;
    },
  };
}

/** Builds the table from entries and the hostname keys they serve under (`undefined` = any). */
export function buildGrpcRouteIndex(inputs: Iterable<GrpcIndexInput>): GrpcRouteIndex {
  const byRoute = new Map<string, GrpcIndexInput[]>();
  for (const i of inputs) {
    const list = byRoute.get(i.entry.route.key);
    if (list === undefined) byRoute.set(i.entry.route.key, [i]);
    else list.push(i);
  }
  const index = createMutableGrpcRouteIndex();
  index.update(byRoute);
  return index;
}
