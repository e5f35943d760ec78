/**
 * A real HTTP(S) server that speaks the Kubernetes API for the resources Switchyard uses, so the
 * production client — and kubectl, `@kubernetes/client-node` and the Python client — are tested
 * over real sockets, unchanged. Behaviour follows the Kubernetes "API Concepts" page
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *
 * - "Resource versions" / "Semantics for get and list": list with `resourceVersion` unset or `"0"`
 *   serves the current state; any other value is "not older than" (a version from the future gets
 *   504 "Too large resource version"); `resourceVersionMatch=Exact` serves that exact snapshot or
 *   410 Gone when it has been compacted. Query parameters are decoded and validated as the
 *   apiserver does ({@link parseListQuery}).
 * - "Retrieving large results sets in chunks": `limit`/`continue`; every page of one list comes from
 *   the same snapshot; a continue token older than the compaction window (or than
 *   `continueTokenTtlMs`) answers 410 `Expired`.
 * - "Efficient detection of changes": a watch from version R streams every change after R in order
 *   as newline-delimited JSON `{type, object}` (ADDED, MODIFIED, DELETED); unset or `"0"` first
 *   sends synthetic ADDED events for the current state; `sendInitialEvents=true` does the same and
 *   ends the initial state with a BOOKMARK annotated `k8s.io/initial-events-end`; a compacted R
 *   gets a single ERROR event whose Status has code 410 (reason `Expired`), as kube-apiserver does;
 *   `timeoutSeconds` ends the stream cleanly. With a label or field selector, an object that stops
 *   matching is sent as DELETED and one that starts matching as ADDED.
 * - "Watch bookmarks": with `allowWatchBookmarks`, BOOKMARK events carrying only
 *   `metadata.resourceVersion` are sent periodically and on {@link FakeKubeApi.bookmark}.
 * - Writes (create, replace, JSON/merge/strategic patch, server-side apply, delete), the status
 *   subresource, generation, finalizers and managedFields: see `writes.ts`.
 * - Discovery (legacy and aggregated), OpenAPI v2/v3 and server-side Table printing, so kubectl
 *   works against it: see `discovery.ts`, `openapi.ts`, `table.ts`.
 * - Creating a CustomResourceDefinition makes its kind served (`registry.ts`).
 * - Errors are `Status` objects (API conventions, "Response Status Kind").
 *
 * Fault injection ({@link FakeKubeFaults}) breaks these promises on purpose: dropped streams (also
 * in the middle of an event), stalls, 500s, 429s with `Retry-After`, and forced compaction.
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KubeObject, KubeStatus } from '@switchyard/k8s';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryType,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import { FakeKubeInvalidObjectError, FakeKubeUnknownKindError } from './errors.js';
import { openApiV2Doc, openApiV3Doc, openApiV3Index } from './openapi.js';
import { parseListQuery, parseResourceVersion, queryBool } from './query.js';
import { apiVersionOf, crdResources, Registry, type Served } from './registry.js';
import { fieldMatcher, labelMatcher, type Matcher, SelectorError } from './selectors.js';
import {
  ApiStatusError,
  badRequest,
  expired,
  failure,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  tooManyRequests,
} from './status.js';
import { type Change, Store } from './store.js';
import { toTable, wantsTable } from './table.js';
import { create, patch, remove, replace, type WriteStore, type WriteTarget } from './writes.js';

export { mergePatch } from './patch.js';

/** Options of {@link startFakeKubeApi}. */
export interface FakeKubeApiOptions {
  /** Require `Authorization: Bearer <token>`; otherwise 401. Change later with `setToken`. */
  readonly token?: string;
  /** Serve HTTPS with this key pair. With `ca` + `requestCert`, a verified client certificate also authenticates. */
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    readonly ca?: string;
    readonly requestCert?: boolean;
  };
  /** Changes kept for watches and continue tokens (the compaction window). Default 10 000. */
  readonly historyLimit?: number;
  /** Interval of automatic BOOKMARK events on watches that allow them, ms; 0 disables. Default 0. */
  readonly bookmarkIntervalMs?: number;
  /** Watch timeout when the client sends no `timeoutSeconds`. Default 1800. */
  readonly defaultWatchTimeoutSeconds?: number;
  /**
   * Resources NOT served (404), to imitate old or new clusters, as `apiVersion/plural`:
   * `'discovery.k8s.io/v1/endpointslices'`, `'extensions/v1beta1/ingresses'`, …
   */
  readonly disabled?: readonly string[];
  /** How a watch from a compacted version fails: an ERROR event in a 200 (default, like kube-apiserver) or HTTP 410. */
  readonly goneAs?: 'event' | 'status';
  /** Continue tokens older than this answer 410 Expired (etcd compacts every 5 minutes), ms. Default: only compaction expires them. */
  readonly continueTokenTtlMs?: number;
  /** Version reported by `/version` and in OpenAPI `info`, as `1.<minor>`. Default `1.31`. */
  readonly kubernetesVersion?: string;
}

/** One request as the server saw it, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without query. */
  readonly path: string;
  /** All request headers (lower-case names; repeated headers as arrays, e.g. `impersonate-group`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `Accept` and `Content-Type` headers. */
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
}

/** Deliberate misbehaviour, for resilience tests. */
export interface FakeKubeFaults {
  /**
   * The next `count` requests (matching `match`, default all) answer `status` (default 500) with a
   * Status body; `body` overrides its fields (e.g. a 504 "Too large resource version" with its cause).
   */
  failNext(
    count: number,
    options?: {
      status?: number;
      match?: (r: RecordedRequest) => boolean;
      body?: Partial<KubeStatus> & { details?: unknown };
    },
  ): void;
  /**
   * The next `count` requests (matching `match`) answer 429 TooManyRequests with `Retry-After:
   * retryAfterSeconds` (default 1) and `details.retryAfterSeconds`, as API Priority and Fairness does.
   */
  throttleNext(
    count: number,
    options?: { retryAfterSeconds?: number; match?: (r: RecordedRequest) => boolean },
  ): void;
  /** Breaks every open watch now: writes half of an event line, then destroys the socket. */
  dropWatches(): void;
  /**
   * Breaks every open watch on its next real event: half of that event's line is written and the
   * socket destroyed, so the event is lost in transit and must be recovered by resuming.
   */
  dropWatchesOnNextEvent(): void;
  /** Hangs: new requests get no answer and watches get no events until `unstall()`. */
  stall(): void;
  /** Ends a stall: held requests are served and held events delivered, in order. */
  unstall(): void;
  /** Every resourceVersion and continue token issued so far becomes too old (410). Same as `compact()`. */
  expireResourceVersions(): void;
}

/** A running fake API server. Create with {@link startFakeKubeApi}; `close()` when done. */
export interface FakeKubeApi {
  /** Base URL, `http://127.0.0.1:<port>` (or `https://`). */
  readonly url: string;
  readonly port: number;
  /** The current (latest) resourceVersion. */
  readonly resourceVersion: string;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  readonly faults: FakeKubeFaults;
  /**
   * Creates or replaces an object (by apiVersion, kind, namespace, name) and notifies watches.
   * `extensions/v1beta1` and `networking.k8s.io/v1beta1` Ingresses are converted and stored as v1.
   * Returns the stored object (with uid, creationTimestamp and the new resourceVersion).
   */
  apply<T extends KubeObject>(obj: T): T;
  /** Deletes by kind (`Ingress`, `Service`, …), namespace (`undefined` for cluster-scoped) and name. True if it existed. */
  delete(kind: string, namespace: string | undefined, name: string): boolean;
  /** The stored (v1) object, or undefined. */
  get<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
  /** Forgets history: resourceVersions and continue tokens issued so far answer 410. */
  compact(): void;
  /** Sends a BOOKMARK at the current resourceVersion to every watch that allows bookmarks. */
  bookmark(): void;
  /** Changes the required bearer token (`undefined`: no auth). */
  setToken(token: string | undefined): void;
  /** Resources served right now (built-ins plus registered CRDs), as `apiVersion/plural`. */
  servedResources(): string[];
  /** Open watch streams, optionally only those whose path starts with `pathPrefix`. */
  activeWatches(pathPrefix?: string): number;
  /** Resolves once `predicate()` holds; re-checked after every request, watch start/end and change. */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

interface Watcher {
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

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const store = new Store(options.historyLimit ?? 10_000);
  const registry = new Registry(options.disabled ?? []);
  const kubeVersion = options.kubernetesVersion ?? '1.31';
  let token = options.token;
  const requests: RecordedRequest[] = [];
  const watchers = new Set<Watcher>();
  const waiters = new Set<{ check: () => boolean; resolve: () => void }>();
  let failures:
    | {
        count: number;
        status: number;
        match: (r: RecordedRequest) => boolean;
        body?: Record<string, unknown>;
      }
    | undefined;
  let throttle: { count: number; retryAfter: number; match: (r: RecordedRequest) => boolean } | undefined;
  let stalled = false;
  let heldRequests: (() => void)[] = [];
  const bookmarkMs = options.bookmarkIntervalMs ?? 0;
  const defaultTimeout = options.defaultWatchTimeoutSeconds ?? 1800;
  const namespaces = registry.byKind('v1', 'Namespace')!;
  for (const name of SYSTEM_NAMESPACES) {
    store.put(
      namespaces.storage,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } } as KubeObject,
      new Date(),
    );
  }

  function notify(): void {
    for (const w of waiters) {
      if (w.check()) {
        waiters.delete(w);
        w.resolve();
      }
    }
  }

  function send(
    res: ServerResponse,
    code: number,
    body: unknown,
    headers: Record<string, string> = {},
    type = 'application/json',
  ): undefined {
    const text = JSON.stringify(body);
    res.writeHead(code, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return undefined;
  }

  const keyOf = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

  function resolveResource(
    segments: string[],
  ): { served: Served; namespace?: string; name?: string; sub?: string } | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) {
      group = '';
      version = segments[1]!;
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 4) {
      group = segments[1]!;
      version = segments[2]!;
      rest = segments.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    // `namespaces/<ns>/<plural>…` scopes a namespaced resource; `namespaces/<name>/status` is the Namespace's own subresource.
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
    ) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const served = registry.find(group, version, rest[0]!);
    if (!served || rest.length > 3) return undefined;
    if (namespace !== undefined && !served.namespaced) return undefined;
    return { served, namespace, name: rest[1], sub: rest[2] };
  }

  function renderOut(served: Served, obj: KubeObject): KubeObject {
    const out = served.out(obj);
    return { ...out, apiVersion: apiVersionOf(served), kind: served.kind };
  }

  /** The object in `served`'s version converted to storage form, with server-maintained status for Namespaces and CRDs. */
  function toStorage(served: Served, obj: KubeObject): KubeObject {
    const canonical = registry.canonical(served.storage) ?? served;
    let v = { ...served.into(obj), apiVersion: apiVersionOf(canonical), kind: served.kind } as KubeObject &
      Record<string, unknown>;
    if (served.group === '' && served.kind === 'Namespace') {
      const phase = v.metadata.deletionTimestamp ? 'Terminating' : 'Active';
      v = { ...v, status: { ...(v.status as object), phase } };
    }
    if (served.kind === 'CustomResourceDefinition') {
      const spec = (v as { spec?: { names?: unknown } }).spec;
      const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      v = {
        ...v,
        status: {
          acceptedNames: spec?.names ?? {},
          storedVersions: (
            (v as { spec?: { versions?: { name: string; storage?: boolean }[] } }).spec?.versions ?? []
          )
            .filter((x) => x.storage)
            .map((x) => x.name),
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              reason: 'NoConflicts',
              message: 'no conflicts found',
              lastTransitionTime: at,
            },
            {
              type: 'Established',
              status: 'True',
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
              lastTransitionTime: at,
            },
          ],
        },
      };
    }
    return v;
  }

  /** Stores an object of `served` (any version), registering CRDs. Returns the stored (storage version) object. */
  function storeObject(served: Served, obj: KubeObject): KubeObject {
    const stored = store.put(served.storage, toStorage(served, obj), new Date());
    if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
      const rs = crdResources(stored);
      if (typeof rs !== 'string') registry.register(stored.metadata.name!, rs);
    }
    return stored;
  }

  function removeObject(served: Served, namespace: string | undefined, name: string): KubeObject | undefined {
    const removed = store.remove(served.storage, keyOf(namespace, name));
    if (!removed) return undefined;
    if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
      const rs = registry.unregister(name);
      const storages = new Set(rs.map((r) => r.storage));
      for (const s of storages) for (const k of [...store.stateAt(s, store.rv).keys]) store.remove(s, k);
    }
    if (served.kind === 'Namespace' && served.group === '') {
      // The namespace controller's job, done at once: everything in the namespace goes with it.
      const storages = new Set(
        registry
          .all()
          .filter((r) => r.namespaced)
          .map((r) => r.storage),
      );
      for (const s of storages) {
        for (const k of [...store.stateAt(s, store.rv).keys])
          if (k.startsWith(`${name}/`)) store.remove(s, k);
      }
    }
    return removed;
  }

  const writeStore: WriteStore = {
    current: (served, namespace, name) => store.current(served.storage, keyOf(namespace, name)),
    put: (served, obj) => renderOut(served, storeObject(served, obj)),
    remove: (served, namespace, name) => {
      const removed = removeObject(served, namespace, name);
      return removed && renderOut(served, removed);
    },
    admit(served, obj, prev) {
      if (!prev && served.namespaced) {
        const ns = obj.metadata.namespace ?? '';
        const nsObj = store.current(namespaces.storage, ns);
        if (!nsObj) throw notFound('', 'namespaces', ns);
        if (nsObj.metadata.deletionTimestamp) {
          throw new ApiStatusError(
            failure(
              403,
              'Forbidden',
              `unable to create new content in namespace ${ns} because it is being terminated`,
            ),
          );
        }
      }
      if (served.kind === 'CustomResourceDefinition' && served.group === 'apiextensions.k8s.io') {
        const rs = crdResources(obj);
        if (typeof rs === 'string') {
          const [field, ...detail] = rs.split(': ');
          throw invalid(served.group, served.kind, obj.metadata.name ?? '', [
            { field: field!, message: detail.join(': ') },
          ]);
        }
      }
    },
  };

  function writeEvent(w: Watcher, line: string): void {
    if (w.dropOnNext) {
      w.res.write(line.slice(0, Math.max(1, Math.floor(line.length / 2))));
      w.res.destroy();
      return;
    }
    if (stalled) {
      w.held.push(line);
      return;
    }
    w.res.write(line);
  }

  function eventLine(w: Watcher, type: string, object: KubeObject): string {
    const out = renderOut(w.served, object);
    if (w.table) {
      return `${JSON.stringify({ type, object: toTable([out], { resourceVersion: out.metadata.resourceVersion }, false) })}\n`;
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
        toTable(items, metadata, true, q.get('includeObject') === 'Object' ? 'Object' : 'Metadata'),
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
            if (!stalled) writeEvent(w, bookmarkLine(w));
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

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function handleDiscovery(req: IncomingMessage, res: ServerResponse, segments: string[]): boolean {
    const all = registry.all();
    const aggregated = aggregatedDiscoveryType(req.headers.accept);
    if (segments.length === 1 && (segments[0] === 'api' || segments[0] === 'apis')) {
      const core = segments[0] === 'api';
      if (aggregated) send(res, 200, aggregatedDiscovery(all, core, aggregated), {}, aggregated);
      else send(res, 200, core ? apiVersions(`127.0.0.1:${port}`) : apiGroupList(all));
      return true;
    }
    let doc: unknown;
    if (segments[0] === 'api' && segments.length === 2) doc = apiResourceList(all, '', segments[1]!);
    else if (segments[0] === 'apis' && segments.length === 2) doc = apiGroupDoc(all, segments[1]!);
    else if (segments[0] === 'apis' && segments.length === 3)
      doc = apiResourceList(all, segments[1]!, segments[2]!);
    else return false;
    if (doc === undefined) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }

  function handleOpenApi(res: ServerResponse, segments: string[]): boolean {
    if (segments[0] !== 'openapi') return false;
    const all = registry.all();
    if (segments[1] === 'v2' && segments.length === 2) return send(res, 200, openApiV2Doc(all)) ?? true;
    if (segments[1] !== 'v3') throw pathNotFound();
    if (segments.length === 2) return send(res, 200, openApiV3Index(all)) ?? true;
    let doc: unknown;
    if (segments[2] === 'api' && segments.length === 4) doc = openApiV3Doc(all, '', segments[3]!);
    if (segments[2] === 'apis' && segments.length === 5) doc = openApiV3Doc(all, segments[3]!, segments[4]!);
    if (doc === undefined) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    segments: string[],
  ): Promise<void> {
    const q = url.searchParams;
    const target = resolveResource(segments);
    if (!target) throw pathNotFound();
    const { served, namespace, name, sub } = target;
    const method = req.method ?? 'GET';
    const writeTarget = (subresource: 'status' | undefined): WriteTarget => ({
      served,
      namespace,
      name,
      subresource,
      query: q,
      userAgent: req.headers['user-agent'],
    });
    const answer = (r: { code: number; body: KubeObject }) => send(res, r.code, r.body);
    if (name === undefined) {
      if (method === 'GET') {
        return queryBool(q, 'watch')
          ? handleWatch(req, res, url.pathname, served, namespace, q)
          : handleList(req, res, served, namespace, q);
      }
      if (method === 'POST') {
        if (served.namespaced && namespace === undefined) throw pathNotFound();
        return answer(create(writeTarget(undefined), writeStore, await readBody(req)));
      }
      if (method === 'DELETE') {
        const matches = matchers(served, q.get('labelSelector'), q.get('fieldSelector'));
        const { keys, objects } = store.stateAt(served.storage, store.rv);
        const gone: KubeObject[] = [];
        for (const k of [...keys]) {
          const o = objects.get(k)!;
          if ((namespace === undefined || o.metadata.namespace === namespace) && matches(o)) {
            const r = remove(
              { ...writeTarget(undefined), namespace: o.metadata.namespace, name: o.metadata.name },
              writeStore,
              '',
            );
            gone.push(r.body);
          }
        }
        return send(res, 200, {
          kind: `${served.kind}List`,
          apiVersion: apiVersionOf(served),
          metadata: { resourceVersion: String(store.rv) },
          items: gone,
        });
      }
      throw methodNotAllowed();
    }
    if (served.namespaced && namespace === undefined) throw pathNotFound();
    if (sub !== undefined && !(sub === 'status' && served.statusSubresource)) throw pathNotFound();
    const subresource = sub === 'status' ? 'status' : undefined;
    switch (method) {
      case 'GET': {
        const obj = store.current(served.storage, keyOf(namespace, name));
        if (!obj) throw notFound(served.group, served.plural, name);
        const out = renderOut(served, obj);
        if (wantsTable(req.headers.accept))
          return send(res, 200, toTable([out], { resourceVersion: out.metadata.resourceVersion }));
        return send(res, 200, out);
      }
      case 'PUT':
        return answer(replace(writeTarget(subresource), writeStore, await readBody(req)));
      case 'PATCH':
        return answer(
          patch(writeTarget(subresource), writeStore, req.headers['content-type'] ?? '', await readBody(req)),
        );
      case 'DELETE':
        if (subresource) throw methodNotAllowed();
        return answer(remove(writeTarget(undefined), writeStore, await readBody(req)));
      default:
        throw methodNotAllowed();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(q),
      watch: queryBool(q, 'watch'),
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
      headers: { ...req.headers },
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
    };
    requests.push(record);
    notify();
    if (stalled) await new Promise<void>((resolve) => heldRequests.push(resolve));
    if (throttle && throttle.count > 0 && throttle.match(record)) {
      throttle.count--;
      throw tooManyRequests(throttle.retryAfter);
    }
    if (failures && failures.count > 0 && failures.match(record)) {
      failures.count--;
      const reason = failures.status === 503 ? 'ServiceUnavailable' : 'InternalError';
      const base = failure(failures.status, reason, 'injected failure');
      throw new ApiStatusError({ ...base, ...failures.body } as KubeStatus);
    }
    const socket = req.socket as TLSSocket;
    const certOk = options.tls?.requestCert === true && socket.authorized === true;
    if (token !== undefined && !certOk && req.headers.authorization !== `Bearer ${token}`) {
      throw new ApiStatusError(failure(401, 'Unauthorized', 'Unauthorized'));
    }
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    if (url.pathname === '/version') {
      const [major, minor] = kubeVersion.split('.');
      return send(res, 200, {
        major,
        minor,
        gitVersion: `v${kubeVersion}.0-switchyard-testkit`,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.22.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (handleOpenApi(res, segments)) return;
    if (handleDiscovery(req, res, segments)) return;
    return handleResource(req, res, url, segments);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof ApiStatusError) send(res, err.status.code ?? 500, err.status, err.headers);
      else send(res, 500, failure(500, 'InternalError', String(err)));
    });
  };
  const server: Server = options.tls
    ? createHttpsServer(
        {
          key: options.tls.key,
          cert: options.tls.cert,
          ca: options.tls.ca,
          requestCert: options.tls.requestCert ?? false,
          rejectUnauthorized: false,
        },
        listener,
      )
    : createHttpServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  function storageOf(apiVersion: string | undefined, kind: string | undefined): Served {
    const served = registry.byKind(apiVersion, kind);
    if (!served) throw new FakeKubeUnknownKindError(`${apiVersion ?? '?'} ${kind ?? '?'}`);
    return served;
  }

  const faults: FakeKubeFaults = {
    failNext(count, o = {}) {
      failures = { count, status: o.status ?? 500, match: o.match ?? (() => true), body: o.body };
    },
    throttleNext(count, o = {}) {
      throttle = { count, retryAfter: o.retryAfterSeconds ?? 1, match: o.match ?? (() => true) };
    },
    dropWatches() {
      for (const w of watchers) {
        const line = bookmarkLine(w);
        w.res.write(line.slice(0, Math.floor(line.length / 2)));
        w.res.destroy();
      }
    },
    dropWatchesOnNextEvent() {
      for (const w of watchers) w.dropOnNext = true;
    },
    stall() {
      stalled = true;
    },
    unstall() {
      stalled = false;
      const held = heldRequests;
      heldRequests = [];
      for (const resume of held) resume();
      for (const w of watchers) {
        for (const line of w.held.splice(0)) writeEvent(w, line);
      }
    },
    expireResourceVersions() {
      store.compact();
    },
  };

  return {
    url,
    port,
    get resourceVersion() {
      return String(store.rv);
    },
    requests,
    faults,
    apply<T extends KubeObject>(obj: T): T {
      const served = storageOf(obj.apiVersion, obj.kind);
      if (!obj.metadata?.name) throw new FakeKubeInvalidObjectError(`${obj.kind} without metadata.name`);
      if (served.namespaced && !obj.metadata.namespace) {
        throw new FakeKubeInvalidObjectError(`${obj.kind} ${obj.metadata.name} without metadata.namespace`);
      }
      if (served.kind === 'CustomResourceDefinition') {
        const rs = crdResources(obj);
        if (typeof rs === 'string')
          throw new FakeKubeInvalidObjectError(`CustomResourceDefinition ${obj.metadata.name}: ${rs}`);
      }
      return structuredClone(storeObject(served, obj)) as T;
    },
    delete(kind, namespace, name) {
      const served = storageOf(undefined, kind);
      return removeObject(served, namespace, name) !== undefined;
    },
    get<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
      const served = storageOf(undefined, kind);
      const obj = store.current(served.storage, keyOf(namespace, name));
      return obj === undefined ? undefined : (structuredClone(obj) as T);
    },
    compact() {
      store.compact();
    },
    bookmark() {
      for (const w of watchers) if (w.bookmarks) writeEvent(w, bookmarkLine(w));
    },
    setToken(t) {
      token = t;
    },
    servedResources() {
      return registry.all().map((r) => `${apiVersionOf(r)}/${r.plural}`);
    },
    activeWatches(prefix) {
      let n = 0;
      for (const w of watchers) if (prefix === undefined || w.path.startsWith(prefix)) n++;
      return n;
    },
    waitFor(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ check: predicate, resolve }));
    },
    async close() {
      for (const w of watchers) w.res.destroy();
      for (const resume of heldRequests) resume();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
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
