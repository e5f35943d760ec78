/**
 * The compiled routing table of the served listeners, updated route by route. Per hostname key
 * (exact name, wildcard, or {@link ANY_HOST}) it holds Exact paths in a map, PathPrefix values in
 * a map (a request tries its own path elements, longest first), and RegularExpression matches in
 * a list, each bucket sorted by the spec's precedence, so identifying a request costs a few map
 * lookups per hostname key rather than a scan of every rule.
 *
 * Precedence (Gateway API, HTTPRouteRule): hostname specificity first (exact name, then longer
 * wildcard suffix, then no hostname); then an Exact path, then the longest PathPrefix (regular
 * expressions after every prefix: their rank is implementation-specific); then a method match;
 * then more header matches; then more query matches; then the oldest route
 * (`creationTimestamp`); then `namespace/name` alphabetically; then rule order, then match order.
 */
import type { RequestHead } from '@switchyard/core';
import type { MirrorRecord } from './actions.js';
import type { RuleTarget } from './backends.js';
import { ANY_HOST, lookupChain } from './hostnames.js';
import type { HttpRouteRecord, MatchRecord, RuleRecord, ValueMatchRecord } from './model.js';

/** One (route, rule, match) under one hostname key. */
export interface IndexEntry {
  readonly route: HttpRouteRecord;
  readonly rule: RuleRecord;
  readonly matchIndex: number;
  readonly match: MatchRecord;
  readonly target: RuleTarget;
  /** The rule's valid `RequestMirror` filters (shared by its matches); absent or empty: none. */
  readonly mirrors?: readonly MirrorRecord[];
}

interface HostTable {
  readonly exact: Map<string, IndexEntry[]>;
  readonly prefix: Map<string, IndexEntry[]>;
  readonly regex: IndexEntry[];
}

/** Orders entries of one path bucket (path precedence is the bucket order): spec precedence. */
export function compareEntries(a: IndexEntry, b: IndexEntry): number {
  const ma = a.match;
  const mb = b.match;
  if (ma.path.type === 'RegularExpression' && mb.path.type === 'RegularExpression') {
    if (ma.path.value.length !== mb.path.value.length) return mb.path.value.length - ma.path.value.length;
  }
  const method = Number(mb.method !== undefined) - Number(ma.method !== undefined);
  if (method !== 0) return method;
  if (ma.headers.length !== mb.headers.length) return mb.headers.length - ma.headers.length;
  if (ma.queryParams.length !== mb.queryParams.length) return mb.queryParams.length - ma.queryParams.length;
  if (a.route.created !== b.route.created) return a.route.created < b.route.created ? -1 : 1;
  if (a.route.key !== b.route.key) return a.route.key < b.route.key ? -1 : 1;
  if (a.rule.index !== b.rule.index) return a.rule.index - b.rule.index;
  return a.matchIndex - b.matchIndex;
}

/** An entry to index under the given hostname keys (`undefined` = any host). */
export interface IndexInput {
  readonly hostnames: readonly (string | undefined)[];
  readonly entry: IndexEntry;
}

/** The compiled table. */
export interface RouteIndex {
  /** The winning entry for a request, or `undefined` (no rule matches: 404). */
  match(hostname: string, path: string, req: RequestHead): IndexEntry | undefined;
  /** Number of indexed (hostname, route, rule, match) entries. */
  readonly size: number;
}

/**
 * A table updated route by route: {@link MutableRouteIndex.update} replaces the entries of the
 * routes it is given and re-sorts only the buckets they touch, so one route change costs the
 * size of that route's buckets, not of the table. The result is the table a fresh
 * {@link buildRouteIndex} of the same entries gives (a property test holds it to that).
 */
export interface MutableRouteIndex extends RouteIndex {
  /**
   * Replaces the entries of each `routeKey` (an HTTPRoute's `namespace/name`, the key of every
   * entry's `route`) with the inputs given; `undefined` removes the route.
   */
  update(changes: Iterable<readonly [routeKey: string, inputs: readonly IndexInput[] | undefined]>): void;
  /** Every bucket in precedence order, one line per entry (for tests and the admin). */
  dump(): string[];
}

type BucketKind = 'exact' | 'prefix' | 'regex';

/** Where one route's entries were put, so that removing the route touches only those buckets. */
interface Placement {
  readonly host: string;
  readonly kind: BucketKind;
  readonly key: string;
  readonly count: number;
}

function push(map: Map<string, IndexEntry[]>, key: string, e: IndexEntry): IndexEntry[] {
  const bucket = map.get(key);
  if (bucket === undefined) {
    const created = [e];
    map.set(key, created);
    return created;
  }
  bucket.push(e);
  return bucket;
}

/** Builds the table. Duplicate (hostname, route, rule, match) inputs are indexed once. */
export function buildRouteIndex(inputs: Iterable<IndexInput>): RouteIndex {
  const byRoute = new Map<string, IndexInput[]>();
  for (const i of inputs) {
    const list = byRoute.get(i.entry.route.key);
    if (list === undefined) byRoute.set(i.entry.route.key, [i]);
    else list.push(i);
  }
  const index = createMutableRouteIndex();
  index.update(byRoute);
  return index;
}

/** An empty {@link MutableRouteIndex}. */
export function createMutableRouteIndex(): MutableRouteIndex {
  const tables = new Map<string, HostTable>();
  const placements = new Map<string, readonly Placement[]>();
  let size = 0;

  function bucketOf(t: HostTable, kind: BucketKind, key: string): IndexEntry[] | undefined {
    return kind === 'regex' ? t.regex : kind === 'exact' ? t.exact.get(key) : t.prefix.get(key);
  }

  function removeRoute(routeKey: string): void {
    const placed = placements.get(routeKey);
    if (placed === undefined) return;
    placements.delete(routeKey);
    for (const p of placed) {
      const t = tables.get(p.host);
      if (t === undefined) continue;
      const bucket = bucketOf(t, p.kind, p.key);
      if (bucket === undefined) continue;
      // In place: the bucket keeps its order (still sorted), only this route's entries go.
      let w = 0;
      for (let r = 0; r < bucket.length; r++) {
        const e = bucket[r]!;
        if (e.route.key !== routeKey) bucket[w++] = e;
      }
      bucket.length = w;
      size -= p.count;
      if (w === 0 && p.kind !== 'regex') (p.kind === 'exact' ? t.exact : t.prefix).delete(p.key);
      if (t.exact.size === 0 && t.prefix.size === 0 && t.regex.length === 0) tables.delete(p.host);
    }
  }

  function addRoute(routeKey: string, inputs: readonly IndexInput[], touched: Set<IndexEntry[]>): void {
    const seen = new Set<string>();
    const counts = new Map<string, { host: string; kind: BucketKind; key: string; count: number }>();
    for (const { hostnames, entry } of inputs) {
      for (const h of hostnames) {
        const host = h ?? ANY_HOST;
        const id = `${host}\n${entry.rule.index}\n${entry.matchIndex}`;
        if (seen.has(id)) continue;
        seen.add(id);
        size++;
        let t = tables.get(host);
        if (t === undefined) {
          t = { exact: new Map(), prefix: new Map(), regex: [] };
          tables.set(host, t);
        }
        const p = entry.match.path;
        const kind: BucketKind = p.type === 'Exact' ? 'exact' : p.type === 'PathPrefix' ? 'prefix' : 'regex';
        const key = kind === 'regex' ? '' : p.value;
        let bucket: IndexEntry[];
        if (kind === 'regex') {
          t.regex.push(entry);
          bucket = t.regex;
        } else bucket = push(kind === 'exact' ? t.exact : t.prefix, key, entry);
        touched.add(bucket);
        const pid = `${host}\n${kind}\n${key}`;
        const c = counts.get(pid);
        if (c === undefined) counts.set(pid, { host, kind, key, count: 1 });
        else c.count++;
      }
    }
    if (counts.size > 0) placements.set(routeKey, [...counts.values()]);
  }

  function update(changes: Iterable<readonly [string, readonly IndexInput[] | undefined]>): void {
    const touched = new Set<IndexEntry[]>();
    for (const [routeKey, inputs] of changes) {
      removeRoute(routeKey);
      if (inputs !== undefined && inputs.length > 0) addRoute(routeKey, inputs, touched);
    }
    for (const bucket of touched) bucket.sort(compareEntries);
  }

  function dump(): string[] {
    const out: string[] = [];
    const line = (host: string, kind: string, key: string, e: IndexEntry) =>
      `${host} ${kind} ${key} ${e.route.key}#${e.rule.index}.${e.matchIndex} -> ${showTarget(e)}`;
    for (const host of [...tables.keys()].sort()) {
      const t = tables.get(host)!;
      for (const key of [...t.exact.keys()].sort())
        for (const e of t.exact.get(key)!) out.push(line(host, 'Exact', key, e));
      for (const key of [...t.prefix.keys()].sort())
        for (const e of t.prefix.get(key)!) out.push(line(host, 'PathPrefix', key, e));
      for (const e of t.regex) out.push(line(host, 'RegularExpression', e.match.path.value, e));
    }
    return out;
  }

  function match(hostname: string, path: string, req: RequestHead): IndexEntry | undefined {
    // No closures per request: the query string is parsed at most once, into `lazy`.
    const lazy: LazyQuery = { req, query: undefined };
    const chain = lookupChain(hostname);
    let candidates: string[] | undefined;
    for (let c = 0; c < chain.length; c++) {
      const t = tables.get(chain[c]!);
      if (t === undefined) continue;
      const exact = t.exact.get(path);
      if (exact !== undefined) {
        const e = firstHolding(exact, lazy);
        if (e !== undefined) return e;
      }
      if (t.prefix.size > 0) {
        candidates ??= prefixCandidates(path);
        for (let p = 0; p < candidates.length; p++) {
          const bucket = t.prefix.get(candidates[p]!);
          if (bucket === undefined) continue;
          const e = firstHolding(bucket, lazy);
          if (e !== undefined) return e;
        }
      }
      for (const e of t.regex) {
        if (
          e.match.path.type === 'RegularExpression' &&
          e.match.path.regex.test(path) &&
          conditionsHold(e.match, lazy)
        )
          return e;
      }
    }
    return undefined;
  }

  return {
    match,
    update,
    dump,
    get size() {
      return size;
    },
  };
}

function showTarget(e: IndexEntry): string {
  const t = e.target;
  const mirrors = e.mirrors?.length
    ? ` mirror ${e.mirrors.map((m) => `/${m.path.join('/')}`).join(',')}`
    : '';
  return `${t.kind === 'error' ? `500 ${t.reason}` : `/${t.path.join('/')}`}${mirrors}`;
}

/**
 * The PathPrefix values that match `path`, longest first: the path without trailing `/`, then
 * each shorter run of whole elements, then `/`. `/foo/bar` → `/foo/bar`, `/foo`, `/`.
 */
export function prefixCandidates(path: string): string[] {
  const out: string[] = [];
  let p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (p === '') p = '/';
  while (p.length > 1) {
    out.push(p);
    const slash = p.lastIndexOf('/');
    p = slash <= 0 ? '/' : p.slice(0, slash);
  }
  out.push('/');
  return out;
}

/** A header's values, plus their `,`-joined form when repeated. */
export function headerValues(req: RequestHead, name: string): readonly string[] {
  const v = req.headers[name];
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  return v.length > 1 ? [...v, v.join(',')] : v;
}

/** Whether one of `values` satisfies a header or query match. */
export function valueHolds(m: ValueMatchRecord, values: readonly string[]): boolean {
  for (const v of values) {
    if (m.type === 'Exact' ? v === m.value : m.regex.test(v)) return true;
  }
  return false;
}

/** A request and its query parameters, parsed on first use. */
interface LazyQuery {
  readonly req: RequestHead;
  query: URLSearchParams | undefined;
}

function firstHolding(bucket: readonly IndexEntry[], lazy: LazyQuery): IndexEntry | undefined {
  for (let i = 0; i < bucket.length; i++) if (conditionsHold(bucket[i]!.match, lazy)) return bucket[i];
  return undefined;
}

/** Method, headers and query parameters of a match (the path was matched by the index). */
function conditionsHold(m: MatchRecord, lazy: LazyQuery): boolean {
  const req = lazy.req;
  if (m.method !== undefined && req.method !== m.method && req.method.toUpperCase() !== m.method)
    return false;
  for (const h of m.headers) if (!valueHolds(h, headerValues(req, h.name))) return false;
  if (m.queryParams.length > 0) {
    if (lazy.query === undefined) {
      const q = req.url.indexOf('?');
      lazy.query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    }
    for (const p of m.queryParams) if (!valueHolds(p, lazy.query.getAll(p.name))) return false;
  }
  return true;
}
