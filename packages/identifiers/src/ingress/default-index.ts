/**
 * The routing index of the default mode: Kubernetes `networking.k8s.io/v1` Ingress semantics,
 * indexed so that a request costs a few map lookups whatever the number of Ingresses.
 *
 * - Hosts: one bucket per exact host, one per wildcard suffix (`*.foo.com` is stored under
 *   `foo.com` and found by dropping the request host's first label, so it matches exactly one
 *   extra label), and one bucket for rules without a host. A request tries its exact bucket, then
 *   its wildcard bucket, then the hostless bucket; the first bucket with a matching path wins.
 * - Paths inside a bucket: `Exact` in a map keyed by the path; `Prefix` (and
 *   `ImplementationSpecific`) in a map keyed by the path without trailing slashes. A request path
 *   is looked up whole in the exact map, then each of its element-wise prefixes, longest first,
 *   in the prefix map: the longest match wins and an Exact match always beats a Prefix match of
 *   the same length (an Exact match is as long as the request path itself).
 * - Same path in several Ingresses: the oldest Ingress (creationTimestamp), then `namespace/name`,
 *   then rule and path order. List order never matters.
 * - Default backends: used only when no rule of any Ingress matched; the oldest Ingress with one
 *   wins, then `namespace/name`.
 *
 * Changes are incremental: replacing one Ingress removes its entries from the buckets it touched
 * and inserts the new ones, keeping each entry list sorted by precedence.
 */
import {
  compareAge,
  type IngressPathRecord,
  type IngressRecord,
  type IngressServiceBackend,
} from './model.js';

/** One indexed path with the Ingress it came from. */
export interface IndexEntry {
  readonly ingress: IngressRecord;
  readonly host: string | undefined;
  readonly path: IngressPathRecord;
}

/** The result of a match: the entry's backend, or a default backend. */
export interface IngressMatch {
  readonly ingress: IngressRecord;
  readonly backend: IngressServiceBackend;
  /** The rule path that matched; `undefined` for a default backend. */
  readonly path: IngressPathRecord | undefined;
  /** The rule host that matched (`*.foo.com` for a wildcard); `undefined` for a hostless rule or default. */
  readonly host: string | undefined;
}

/** What both index implementations offer. */
export interface RoutingIndex {
  /** Adds or replaces an Ingress. */
  upsert(record: IngressRecord): void;
  /** Removes an Ingress by `namespace/name`; no-op when absent. */
  remove(key: string): void;
  /** The backend for a request's Host header value (port allowed) and path, or `undefined`. */
  match(host: string | undefined, path: string): IngressMatch | undefined;
  /** Every indexed Ingress. */
  records(): IterableIterator<IngressRecord>;
  readonly size: number;
}

function compareEntries(a: IndexEntry, b: IndexEntry): number {
  return (
    compareAge(a.ingress, b.ingress) ||
    a.path.ruleIndex - b.path.ruleIndex ||
    a.path.pathIndex - b.path.pathIndex
  );
}

/** Inserts keeping `list` sorted by `cmp` (binary search; lists are short). */
function insertSorted<T>(list: T[], item: T, cmp: (a: T, b: T) => number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(list[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}

/** `/foo/bar/` → `/foo/bar`; `/` → `` (the prefix that matches every path). */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}

class Bucket {
  readonly exact = new Map<string, IndexEntry[]>();
  readonly prefix = new Map<string, IndexEntry[]>();
  count = 0;

  add(e: IndexEntry): void {
    const exact = e.path.pathType === 'Exact';
    const map = exact ? this.exact : this.prefix;
    const k = exact ? (e.path.path ?? '/') : trimTrailingSlashes(e.path.path ?? '/');
    let list = map.get(k);
    if (list === undefined) {
      list = [];
      map.set(k, list);
    }
    insertSorted(list, e, compareEntries);
    this.count++;
  }

  delete(e: IndexEntry): void {
    const exact = e.path.pathType === 'Exact';
    const map = exact ? this.exact : this.prefix;
    const k = exact ? (e.path.path ?? '/') : trimTrailingSlashes(e.path.path ?? '/');
    const list = map.get(k);
    if (list === undefined) return;
    const i = list.indexOf(e);
    if (i === -1) return;
    list.splice(i, 1);
    if (list.length === 0) map.delete(k);
    this.count--;
  }

  match(path: string): IndexEntry | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact[0];
    if (this.prefix.size === 0) return undefined;
    // Element-wise prefixes of the request path, longest first: /a/b/c, /a/b, /a, ''.
    let p = trimTrailingSlashes(path);
    for (;;) {
      const hit = this.prefix.get(p);
      if (hit !== undefined) return hit[0];
      if (p === '') return undefined;
      const slash = p.lastIndexOf('/');
      p = slash <= 0 ? '' : p.slice(0, slash);
    }
  }
}

/** Lower-cases and drops the port (`Host: Foo.com:8080` → `foo.com`; `[::1]:80` → `[::1]`) and a trailing dot. */
export function normalizeHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let h = host.trim();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    h = close === -1 ? h : h.slice(0, close + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === '' ? undefined : h.toLowerCase();
}

/** Creates the default-mode index. `ignoreDefaultBackends` drops every `defaultBackend`. */
export function createDefaultIndex(options: { ignoreDefaultBackends?: boolean } = {}): RoutingIndex {
  const exactHosts = new Map<string, Bucket>();
  const wildcardHosts = new Map<string, Bucket>();
  const anyHost = new Bucket();
  const defaults: IngressRecord[] = [];
  const byKey = new Map<
    string,
    { record: IngressRecord; entries: { bucket: Bucket; entry: IndexEntry }[] }
  >();

  function bucketFor(host: string | undefined, create: true): Bucket;
  function bucketFor(host: string | undefined, create: false): Bucket | undefined;
  function bucketFor(host: string | undefined, create: boolean): Bucket | undefined {
    if (host === undefined) return anyHost;
    const wildcard = host.startsWith('*.');
    const map = wildcard ? wildcardHosts : exactHosts;
    const k = wildcard ? host.slice(2) : host;
    let b = map.get(k);
    if (b === undefined && create) {
      b = new Bucket();
      map.set(k, b);
    }
    return b;
  }

  function remove(key: string): void {
    const old = byKey.get(key);
    if (old === undefined) return;
    byKey.delete(key);
    for (const { bucket, entry } of old.entries) {
      bucket.delete(entry);
      if (bucket.count === 0 && bucket !== anyHost) {
        const host = entry.host!;
        if (host.startsWith('*.')) wildcardHosts.delete(host.slice(2));
        else exactHosts.delete(host);
      }
    }
    const d = defaults.indexOf(old.record);
    if (d !== -1) defaults.splice(d, 1);
  }

  function upsert(record: IngressRecord): void {
    remove(record.key);
    const entries: { bucket: Bucket; entry: IndexEntry }[] = [];
    for (const rule of record.rules) {
      for (const path of rule.paths) {
        const bucket = bucketFor(rule.host, true);
        const entry: IndexEntry = { ingress: record, host: rule.host, path };
        bucket.add(entry);
        entries.push({ bucket, entry });
      }
    }
    byKey.set(record.key, { record, entries });
    if (record.defaultBackend !== undefined && options.ignoreDefaultBackends !== true) {
      insertSorted(defaults, record, compareAge);
    }
  }

  function hit(e: IndexEntry): IngressMatch {
    return { ingress: e.ingress, backend: e.path.backend, path: e.path, host: e.host };
  }

  function match(rawHost: string | undefined, rawPath: string): IngressMatch | undefined {
    const path = rawPath === '' || rawPath === '*' ? '/' : rawPath;
    const host = normalizeHost(rawHost);
    if (host !== undefined) {
      const exact = exactHosts.get(host)?.match(path);
      if (exact !== undefined) return hit(exact);
      const dot = host.indexOf('.');
      if (dot > 0 && wildcardHosts.size > 0) {
        const wild = wildcardHosts.get(host.slice(dot + 1))?.match(path);
        if (wild !== undefined) return hit(wild);
      }
    }
    const any = anyHost.match(path);
    if (any !== undefined) return hit(any);
    const d = defaults[0];
    return d === undefined
      ? undefined
      : { ingress: d, backend: d.defaultBackend!, path: undefined, host: undefined };
  }

  return {
    upsert,
    remove,
    match,
    records: () => [...byKey.values()].map((v) => v.record)[Symbol.iterator](),
    get size() {
      return byKey.size;
    },
  };
}
