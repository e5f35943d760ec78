/**
 * List and watch over the store, with kube-apiserver's semantics (see `fake-kube-api.ts` for the
 * summary): resourceVersion rules, paging from one snapshot, selector filtering of changes (an
 * object leaving a selector is DELETED for that watch), bookmarks, `sendInitialEvents`, and Table
 * responses. Watch streams are kept here so faults can break, stall or bookmark them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '@switchyard/k8s';
import type { FakeKubeApiOptions } from './api-types.js';
import { parseListQuery, parseResourceVersion } from './query.js';
import { apiVersionOf, type Served } from './resources.js';
import { fieldMatcher, labelMatcher, type Matcher, SelectorError } from './selectors.js';
import { ApiStatusError, badRequest, expired, failure } from './status.js';
import type { Change, Store } from './store.js';
import { toTable, wantsTable } from './table.js';

export interface Watcher {
  readonly path: string;
  readonly served: Served;
  readonly namespace: string | undefined;
  readonly matches: Matcher;
  readonly bookmarks: boolean;
  readonly table: boolean;
  readonly res: ServerResponse;
  dropOnNext: boolean;
  held: string[];
}

/** What list/watch need from the server. */
export interface ListWatchDeps {
  readonly store: Store;
  readonly options: FakeKubeApiOptions;
  readonly renderOut: (served: Served, obj: KubeObject) => KubeObject;
  readonly send: (res: ServerResponse, code: number, body: unknown) => undefined;
  /** Re-checks `waitFor` predicates. */
  readonly notify: () => void;
  /** True while the server is stalled (events are held). */
  readonly stalled: () => boolean;
}

export function createListWatch(deps: ListWatchDeps) {
  const { store, options, renderOut, send, notify } = deps;
  const watchers = new Set<Watcher>();
  const bookmarkMs = options.bookmarkIntervalMs ?? 0;
  const defaultTimeout = options.defaultWatchTimeoutSeconds ?? 1800;

  function writeEvent(w: Watcher, line: string): void {
    if (w.dropOnNext) {
      w.res.write(line.slice(0, Math.max(1, Math.floor(line.length / 2))));
      w.res.destroy();
      return;
    }
    if (deps.stalled()) {
      w.held.push(line);
      return;
    }
    w.res.write(line);
  }

  function eventLine(w: Watcher, type: string, object: KubeObject): string {
    const out = renderOut(w.served, object);
    if (w.table) {
      return `${JSON.stringify({ type, object: toTable(w.served.kind, [out], { resourceVersion: out.metadata.resourceVersion }, false) })}\n`;
    }
    return `${JSON.stringify({ type, object: out })}\n`;
  }

  /** The event a watcher sees for a change, after selector filtering (or undefined). */
  function eventFor(w: Watcher, c: Change): string | undefined {
    if (c.storage !== w.served.storage) return undefined;
    const inNs = (o: KubeObject | undefined) =>
      o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && w.matches(o);
    const now = c.type === 'DELETED' ? false : inNs(c.object);
    const before = c.type === 'ADDED' ? false : inNs(c.prev);
    if (c.type === 'DELETED') return before ? eventLine(w, 'DELETED', c.object) : undefined;
    if (now && before) return eventLine(w, 'MODIFIED', c.object);
    if (now) return eventLine(w, 'ADDED', c.object);
    if (before) {
      // Stopped matching the selector: the previous content, stamped with this change's version.
      return eventLine(w, 'DELETED', {
        ...c.prev!,
        metadata: { ...c.prev!.metadata, resourceVersion: String(c.rv) },
      });
    }
    return undefined;
  }

  store.onChange((c) => {
    for (const w of watchers) {
      const line = eventFor(w, c);
      if (line) writeEvent(w, line);
    }
    notify();
  });

  function bookmarkLine(w: Watcher, annotations?: Record<string, string>): string {
    return `${JSON.stringify({
      type: 'BOOKMARK',
      object: {
        kind: w.served.kind,
        apiVersion: apiVersionOf(w.served),
        metadata: { resourceVersion: String(store.rv), ...(annotations ? { annotations } : {}) },
      },
    })}\n`;
  }

  function matchers(served: Served, label: string | null, field: string | null): Matcher {
    try {
      const l = labelMatcher(label);
      const f = fieldMatcher(field, served.kind);
      return (o) => l(o) && f(o);
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(err.message);
      throw err;
    }
  }

  function tooLarge(rv: number): ApiStatusError {
    return new ApiStatusError(
      failure(504, 'Timeout', `Too large resource version: ${rv}, current: ${store.rv}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      }),
      { 'retry-after': '1' },
    );
  }

  function handleList(
    req: IncomingMessage,
    res: ServerResponse,
    served: Served,
    namespace: string | undefined,
    q: URLSearchParams,
  ): undefined {
    const lq = parseListQuery(q);
    const matches = matchers(served, lq.labelSelector, lq.fieldSelector);
    let at = store.rv;
    let start = '';
    if (lq.continue) {
      let token: { rv: number; start: string; issued?: number };
      try {
        token = JSON.parse(Buffer.from(lq.continue, 'base64url').toString('utf8'));
        if (typeof token.rv !== 'number' || typeof token.start !== 'string') throw new Error('bad token');
      } catch {
        throw badRequest(
          'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
        );
      }
      const ttl = options.continueTokenTtlMs;
      if (
        token.rv < store.compacted ||
        (ttl !== undefined && token.issued !== undefined && Date.now() - token.issued > ttl)
      ) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      at = token.rv;
      start = token.start;
    } else if (lq.resourceVersion !== undefined && lq.resourceVersion !== '0') {
      const rv = parseResourceVersion(lq.resourceVersion);
      if (rv > store.rv) throw tooLarge(rv);
      if (lq.resourceVersionMatch === 'Exact') {
        if (rv < store.compacted) throw expired(`too old resource version: ${rv} (${store.compacted})`);
        at = rv;
      }
    }
    const { keys, objects } = store.stateAt(served.storage, at);
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (let i = start ? upperBound(keys, start) : 0; i < keys.length; i++) {
      const obj = objects.get(keys[i]!)!;
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (!matches(obj)) continue;
      if (lq.limit > 0 && items.length === lq.limit) {
        next ??= keys[i - 1];
        remaining++;
        continue;
      }
      items.push(renderOut(served, obj));
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(at) };
    if (next !== undefined && remaining > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ rv: at, start: next, issued: Date.now() })).toString(
        'base64url',
      );
      if (!lq.labelSelector && !lq.fieldSelector) metadata.remainingItemCount = remaining;
    }
    if (wantsTable(req.headers.accept)) {
      return send(
        res,
        200,
        toTable(
          served.kind,
          items,
          metadata,
          true,
          q.get('includeObject') === 'Object' ? 'Object' : 'Metadata',
        ),
      );
    }
    return send(res, 200, { kind: `${served.kind}List`, apiVersion: apiVersionOf(served), metadata, items });
  }

  function handleWatch(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    served: Served,
    namespace: string | undefined,
    q: URLSearchParams,
  ) {
    const lq = parseListQuery(q);
    const matches = matchers(served, lq.labelSelector, lq.fieldSelector);
    const rv =
      lq.resourceVersion === undefined || lq.resourceVersion === '0'
        ? undefined
        : parseResourceVersion(lq.resourceVersion);
    if (rv !== undefined && rv > store.rv) throw tooLarge(rv);
    const gone = rv !== undefined && rv < store.compacted;
    if (gone && options.goneAs === 'status')
      throw expired(`too old resource version: ${rv} (${store.compacted})`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (gone) {
      const err = failure(410, 'Expired', `too old resource version: ${rv} (${store.compacted})`);
      res.end(`${JSON.stringify({ type: 'ERROR', object: err })}\n`);
      return;
    }
    const w: Watcher = {
      path,
      served,
      namespace,
      matches,
      bookmarks: lq.allowWatchBookmarks,
      table: wantsTable(req.headers.accept),
      res,
      dropOnNext: false,
      held: [],
    };
    // Initial state: legacy watches from unset/"0", or sendInitialEvents=true (then ended by a bookmark).
    const initial = lq.sendInitialEvents ?? rv === undefined;
    if (initial) {
      const { keys, objects } = store.stateAt(served.storage, store.rv);
      for (const k of keys) {
        const obj = objects.get(k)!;
        if ((namespace === undefined || obj.metadata.namespace === namespace) && matches(obj)) {
          res.write(eventLine(w, 'ADDED', obj));
        }
      }
      if (lq.sendInitialEvents) res.write(bookmarkLine(w, { 'k8s.io/initial-events-end': 'true' }));
    } else if (rv !== undefined) {
      for (const c of store.changesSince(served.storage, rv)) {
        const line = eventFor(w, c);
        if (line) res.write(line);
      }
    }
    watchers.add(w);
    const timeoutSeconds = lq.timeoutSeconds && lq.timeoutSeconds > 0 ? lq.timeoutSeconds : defaultTimeout;
    const timeout = setTimeout(() => res.end(), timeoutSeconds * 1000);
    const ticker =
      w.bookmarks && bookmarkMs > 0
        ? setInterval(() => {
            if (!deps.stalled()) writeEvent(w, bookmarkLine(w));
          }, bookmarkMs)
        : undefined;
    const done = () => {
      clearTimeout(timeout);
      if (ticker) clearInterval(ticker);
      if (watchers.delete(w)) notify();
    };
    res.on('close', done);
    req.on('close', done);
    notify();
  }

  return { watchers, handleList, handleWatch, writeEvent, bookmarkLine, matchers };
}

function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
