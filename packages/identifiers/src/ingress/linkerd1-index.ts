/**
 * The routing index of `compat: linkerd1`, reproducing Linkerd 1.x's `IngressCache` exactly:
 *
 * - host: the Host header up to the first `:`, compared case-sensitively; a rule without host
 *   matches any request, including one without Host; no wildcards (`*.foo.com` is a literal);
 * - path: a full-match Java-style regex on the request path (query excluded); an absent or empty
 *   path matches everything, so `/` matches only `/`;
 * - precedence: the first match in cache order (Ingresses, then rules, then paths). Cache order is
 *   the initial list order with additions appended and a modified Ingress removed and re-appended
 *   at the end (so editing an Ingress lowers its precedence);
 * - default backends: only after no rule of any Ingress matched, the first Ingress in cache order
 *   that has one.
 *
 * Unlike Linkerd 1 the rules are indexed by host: a request walks only the rules of its host and
 * the hostless rules, merged by cache order, instead of every rule of every Ingress.
 */
import type { IngressMatch, RoutingIndex } from './default-index.js';
import { IngressProblemError } from './errors.js';
import type { IngressPathRecord, IngressRecord } from './model.js';

interface Entry {
  /** Cache position of the Ingress, then rule and path order. */
  readonly seq: number;
  readonly ruleIndex: number;
  readonly pathIndex: number;
  readonly ingress: IngressRecord;
  readonly host: string | undefined;
  readonly path: IngressPathRecord;
  /** `undefined` matches every path. */
  readonly regex: RegExp | undefined;
}

function before(a: Entry, b: Entry): boolean {
  return a.seq !== b.seq
    ? a.seq < b.seq
    : a.ruleIndex !== b.ruleIndex
      ? a.ruleIndex < b.ruleIndex
      : a.pathIndex < b.pathIndex;
}

/**
 * Compiles a Linkerd 1 path (Scala's `path.r` used as an extractor pattern: anchored at both
 * ends). Java-only syntax that JavaScript rejects is reported as a problem naming the field.
 */
export function compileLinkerd1Path(
  record: IngressRecord,
  path: IngressPathRecord,
): RegExp | IngressProblemError | undefined {
  if (path.path === undefined) return undefined;
  try {
    return new RegExp(`^(?:${path.path})$`);
  } catch (err) {
    return new IngressProblemError(
      record.key,
      `spec.rules[${path.ruleIndex}].http.paths[${path.pathIndex}].path`,
      `"${path.path}" is not a valid regular expression: ${(err as Error).message}`,
    );
  }
}

/**
 * Validates every path regex of `record` for `compat: linkerd1`; the first bad one is returned.
 */
export function checkLinkerd1Record(record: IngressRecord): IngressProblemError | undefined {
  for (const rule of record.rules) {
    for (const path of rule.paths) {
      const r = compileLinkerd1Path(record, path);
      if (r instanceof IngressProblemError) return r;
    }
  }
  return undefined;
}

/**
 * The Host as Linkerd 1 reads it: up to the first `:`. `null` when it has more than one `:` (an
 * IPv6 literal), which Linkerd 1 rejects with "unable to parse host for request".
 */
export function linkerd1Host(host: string | undefined): string | undefined | null {
  if (host === undefined || host === '') return undefined;
  const parts = host.split(':');
  if (parts.length > 2) return null;
  return parts[0];
}

/**
 * Creates the Linkerd 1 index. `upsert` of a new or changed Ingress puts it at the end of the
 * cache order; `touch: false` keeps its position (used for status-only modifications).
 */
export function createLinkerd1Index(options: { ignoreDefaultBackends?: boolean } = {}): RoutingIndex & {
  upsert(record: IngressRecord, touch?: boolean): void;
} {
  let nextSeq = 0;
  const hosts = new Map<string, Entry[]>();
  const anyHost: Entry[] = [];
  /** Ingresses with a default backend, in cache order. */
  const defaults: { seq: number; record: IngressRecord }[] = [];
  const byKey = new Map<string, { seq: number; record: IngressRecord; entries: Entry[] }>();

  function listFor(host: string | undefined, create: boolean): Entry[] | undefined {
    if (host === undefined) return anyHost;
    let l = hosts.get(host);
    if (l === undefined && create) {
      l = [];
      hosts.set(host, l);
    }
    return l;
  }

  function removeEntries(key: string): number | undefined {
    const old = byKey.get(key);
    if (old === undefined) return undefined;
    byKey.delete(key);
    for (const e of old.entries) {
      const list = listFor(e.host, false);
      if (list === undefined) continue;
      const i = list.indexOf(e);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0 && e.host !== undefined) hosts.delete(e.host);
    }
    const d = defaults.findIndex((x) => x.record === old.record);
    if (d !== -1) defaults.splice(d, 1);
    return old.seq;
  }

  function insertOrdered<T extends { seq: number }>(
    list: T[],
    item: T,
    after: (a: T, b: T) => boolean,
  ): void {
    // New Ingresses have the highest seq and land at the end: O(1) in the common case.
    let i = list.length;
    while (i > 0 && after(list[i - 1]!, item)) i--;
    list.splice(i, 0, item);
  }

  function upsert(record: IngressRecord, touch = true): void {
    const oldSeq = removeEntries(record.key);
    const seq = touch || oldSeq === undefined ? nextSeq++ : oldSeq;
    const entries: Entry[] = [];
    for (const rule of record.rules) {
      for (const path of rule.paths) {
        const regex = compileLinkerd1Path(record, path);
        // Callers check records first; a bad regex never reaches the index.
        if (regex instanceof IngressProblemError) continue;
        const e: Entry = {
          seq,
          ruleIndex: path.ruleIndex,
          pathIndex: path.pathIndex,
          ingress: record,
          host: rule.host,
          path,
          regex,
        };
        insertOrdered(listFor(rule.host, true)!, e, (a, b) => before(b, a));
        entries.push(e);
      }
    }
    byKey.set(record.key, { seq, record, entries });
    if (record.defaultBackend !== undefined && options.ignoreDefaultBackends !== true) {
      insertOrdered(defaults, { seq, record }, (a, b) => a.seq > b.seq);
    }
  }

  function hit(e: Entry): IngressMatch {
    return { ingress: e.ingress, backend: e.path.backend, path: e.path, host: e.host };
  }

  function match(rawHost: string | undefined, path: string): IngressMatch | undefined {
    const host = linkerd1Host(rawHost);
    const own = host === undefined || host === null ? undefined : hosts.get(host);
    // Merge the host's rules with the hostless ones, both already in cache order.
    let i = 0;
    let j = 0;
    const a = own ?? [];
    const b = anyHost;
    while (i < a.length || j < b.length) {
      let e: Entry;
      if (j >= b.length || (i < a.length && before(a[i]!, b[j]!))) e = a[i++]!;
      else e = b[j++]!;
      if (e.regex === undefined || e.regex.test(path)) return hit(e);
    }
    const d = defaults[0];
    return d === undefined
      ? undefined
      : { ingress: d.record, backend: d.record.defaultBackend!, path: undefined, host: undefined };
  }

  return {
    upsert,
    remove: (key) => {
      removeEntries(key);
    },
    match,
    records: () =>
      [...byKey.values()]
        .sort((x, y) => x.seq - y.seq)
        .map((v) => v.record)
        [Symbol.iterator](),
    get size() {
      return byKey.size;
    },
  };
}
