/**
 * A real HTTP(S) server that speaks the Kubernetes API for the resources Switchyard uses, so the
 * production client is tested over real sockets, unchanged. Behaviour follows the Kubernetes
 * "API Concepts" page (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *
 * - "Resource versions" / "Semantics for get and list": list with `resourceVersion` unset or `"0"`
 *   serves the current state; any other value is "not older than" (a version from the future gets
 *   504 "Too large resource version"); `resourceVersionMatch=Exact` serves that exact snapshot or
 *   410 Gone when it has been compacted.
 * - "Retrieving large results sets in chunks": `limit`/`continue`; every page of one list comes from
 *   the same snapshot; a continue token older than the compaction window answers 410 `Expired`.
 * - "Efficient detection of changes": a watch from version R streams every change after R in order
 *   as newline-delimited JSON `{type, object}` (ADDED, MODIFIED, DELETED); unset or `"0"` first
 *   sends synthetic ADDED events for the current state; a compacted R gets a single ERROR event
 *   whose Status has code 410 (reason `Expired`), as kube-apiserver does; `timeoutSeconds` ends
 *   the stream cleanly. With a label or field selector, an object that stops matching is sent as
 *   DELETED and one that starts matching as ADDED (the watch cache's filtering rule).
 * - "Watch bookmarks": with `allowWatchBookmarks=true`, BOOKMARK events carrying only
 *   `metadata.resourceVersion` are sent periodically and on {@link FakeKubeApi.bookmark}.
 * - Status subresource ("Subresources"): `PUT`/`PATCH .../<ingresses|gateway API kinds>/<name>/status` change only
 *   `status`; a stale `metadata.resourceVersion` in a PUT is a 409 Conflict.
 * - Errors are `Status` objects (API conventions, "Response Status Kind").
 *
 * Fault injection ({@link FakeKubeFaults}) breaks these promises on purpose: dropped streams (also
 * in the middle of an event), stalls, 500s, and forced compaction.
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
import type { Ingress, IngressV1beta1, KubeObject, KubeStatus } from '@switchyard/k8s';
import { ingressToV1, ingressToV1beta1 } from './convert.js';
import { FakeKubeInvalidObjectError, FakeKubeUnknownKindError } from './errors.js';
import { fieldMatcher, labelMatcher, type Matcher } from './selectors.js';
import { type Change, Store } from './store.js';

/** A resource the fake serves, keyed by `group/version/plural` (`/v1/services` for core). */
interface Served {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Storage bucket; the three Ingress versions share one. */
  readonly storage: string;
  /** Converts a stored object to this version, and back. */
  readonly out: (o: KubeObject) => KubeObject;
  readonly into: (o: KubeObject) => KubeObject;
}

const same = (o: KubeObject) => o;
const RESOURCES: readonly Served[] = [
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
    storage: 'ingresses',
    out: same,
    into: same,
  },
  ...(['networking.k8s.io', 'extensions'] as const).map(
    (group): Served => ({
      group,
      version: 'v1beta1',
      plural: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
      storage: 'ingresses',
      out: (o) => ingressToV1beta1(o as Ingress, `${group}/v1beta1`),
      into: (o) => ingressToV1(o as IngressV1beta1),
    }),
  ),
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingressclasses',
    kind: 'IngressClass',
    namespaced: false,
    storage: 'ingressclasses',
    out: same,
    into: same,
  },
  {
    group: '',
    version: 'v1',
    plural: 'services',
    kind: 'Service',
    namespaced: true,
    storage: 'services',
    out: same,
    into: same,
  },
  {
    group: '',
    version: 'v1',
    plural: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    storage: 'endpoints',
    out: same,
    into: same,
  },
  {
    group: '',
    version: 'v1',
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
    storage: 'secrets',
    out: same,
    into: same,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
    storage: 'endpointslices',
    out: same,
    into: same,
  },
  // Gateway API CRDs (io.l5d.httproute).
  ...(
    [
      ['v1', 'gatewayclasses', 'GatewayClass', false],
      ['v1', 'gateways', 'Gateway', true],
      ['v1', 'httproutes', 'HTTPRoute', true],
      ['v1', 'grpcroutes', 'GRPCRoute', true],
      ['v1beta1', 'referencegrants', 'ReferenceGrant', true],
    ] as const
  ).map(
    ([version, plural, kind, namespaced]): Served => ({
      group: 'gateway.networking.k8s.io',
      version,
      plural,
      kind,
      namespaced,
      storage: plural,
      out: same,
      into: same,
    }),
  ),
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    storage: 'namespaces',
    out: same,
    into: same,
  },
];

/** Resources with a status subresource. */
const WITH_STATUS: ReadonlySet<string> = new Set([
  'ingresses',
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
]);

function apiVersionOf(r: Served): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

function servedId(r: Served): string {
  return `${apiVersionOf(r)}/${r.plural}`;
}

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
}

/** One request as the server saw it, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly authorization: string | undefined;
  readonly userAgent: string | undefined;
}

/** Deliberate misbehaviour, for resilience tests. */
export interface FakeKubeFaults {
  /** The next `count` requests (matching `match`, default all) answer `status` (default 500) with a Status body. */
  failNext(count: number, options?: { status?: number; match?: (r: RecordedRequest) => boolean }): void;
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
  readonly res: ServerResponse;
  dropOnNext: boolean;
  held: string[];
}

function status(code: number, reason: string, message: string, extra: Partial<KubeStatus> = {}): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...extra,
  };
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const store = new Store(options.historyLimit ?? 10_000);
  const disabled = new Set(options.disabled ?? []);
  let token = options.token;
  const requests: RecordedRequest[] = [];
  const watchers = new Set<Watcher>();
  const waiters = new Set<{ check: () => boolean; resolve: () => void }>();
  let failures: { count: number; status: number; match: (r: RecordedRequest) => boolean } | undefined;
  let stalled = false;
  let heldRequests: (() => void)[] = [];
  const bookmarkMs = options.bookmarkIntervalMs ?? 0;
  const defaultTimeout = options.defaultWatchTimeoutSeconds ?? 1800;

  function notify(): void {
    for (const w of waiters) {
      if (w.check()) {
        waiters.delete(w);
        w.resolve();
      }
    }
  }

  function send(res: ServerResponse, code: number, body: unknown): undefined {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return undefined;
  }

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
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const served = RESOURCES.find((r) => r.group === group && r.version === version && r.plural === rest[0]);
    if (!served || disabled.has(servedId(served)) || rest.length > 3) return undefined;
    if (namespace !== undefined && !served.namespaced) return undefined;
    return { served, namespace, name: rest[1], sub: rest[2] };
  }

  function renderOut(served: Served, obj: KubeObject): KubeObject {
    const out = served.out(obj);
    return { ...out, apiVersion: apiVersionOf(served), kind: served.kind };
  }

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

  /** The event a watcher sees for a change, after selector filtering (or undefined). */
  function eventFor(w: Watcher, c: Change): string | undefined {
    if (c.storage !== w.served.storage) return undefined;
    const inNs = (o: KubeObject | undefined) =>
      o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && w.matches(o);
    const now = c.type === 'DELETED' ? false : inNs(c.object);
    const before = c.type === 'ADDED' ? false : inNs(c.prev);
    let type: string;
    let object: KubeObject;
    if (c.type === 'DELETED') {
      if (!before) return undefined;
      type = 'DELETED';
      object = c.object;
    } else if (now && before) {
      type = 'MODIFIED';
      object = c.object;
    } else if (now) {
      type = 'ADDED';
      object = c.object;
    } else if (before) {
      // Stopped matching the selector: the previous content, stamped with this change's version.
      type = 'DELETED';
      object = { ...c.prev!, metadata: { ...c.prev!.metadata, resourceVersion: String(c.rv) } };
    } else return undefined;
    return `${JSON.stringify({ type, object: renderOut(w.served, object) })}\n`;
  }

  store.onChange((c) => {
    for (const w of watchers) {
      const line = eventFor(w, c);
      if (line) writeEvent(w, line);
    }
    notify();
  });

  function bookmarkLine(w: Watcher): string {
    return `${JSON.stringify({
      type: 'BOOKMARK',
      object: {
        kind: w.served.kind,
        apiVersion: apiVersionOf(w.served),
        metadata: { resourceVersion: String(store.rv) },
      },
    })}\n`;
  }

  function parseRv(value: string | null): number | undefined {
    if (value === null || value === '' || value === '0') return undefined;
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : Number.NaN;
  }

  function handleList(
    res: ServerResponse,
    served: Served,
    namespace: string | undefined,
    q: URLSearchParams,
  ): undefined {
    let matches: Matcher;
    let fields: Matcher;
    try {
      matches = labelMatcher(q.get('labelSelector'));
      fields = fieldMatcher(q.get('fieldSelector'));
    } catch (err) {
      return send(res, 400, status(400, 'BadRequest', (err as Error).message));
    }
    const limit = Number(q.get('limit') ?? '0') || 0;
    let at = store.rv;
    let start = '';
    const cont = q.get('continue');
    if (cont) {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8'));
      } catch {
        return send(res, 400, status(400, 'BadRequest', 'continue key is not valid'));
      }
      if (token.rv < store.compacted) {
        return send(
          res,
          410,
          status(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          ),
        );
      }
      at = token.rv;
      start = token.start;
    } else {
      const rv = parseRv(q.get('resourceVersion'));
      if (Number.isNaN(rv)) return send(res, 400, status(400, 'BadRequest', 'invalid resourceVersion'));
      if (rv !== undefined && rv > store.rv) {
        return send(
          res,
          504,
          status(504, 'Timeout', `Too large resource version: ${rv}, current: ${store.rv}`),
        );
      }
      if (rv !== undefined && q.get('resourceVersionMatch') === 'Exact') {
        if (rv < store.compacted) {
          return send(
            res,
            410,
            status(410, 'Expired', `too old resource version: ${rv} (${store.compacted})`),
          );
        }
        at = rv;
      }
    }
    const { keys, objects } = store.stateAt(served.storage, at);
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    let i = start ? upperBound(keys, start) : 0;
    for (; i < keys.length; i++) {
      const obj = objects.get(keys[i]!)!;
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (!matches(obj) || !fields(obj)) continue;
      if (limit > 0 && items.length === limit) {
        next = keys[i - 1];
        remaining = 1;
        break;
      }
      items.push(renderOut(served, obj));
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(at) };
    if (next !== undefined && remaining > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ rv: at, start: next })).toString('base64url');
    }
    send(res, 200, { kind: `${served.kind}List`, apiVersion: apiVersionOf(served), metadata, items });
  }

  function handleWatch(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    served: Served,
    namespace: string | undefined,
    q: URLSearchParams,
  ) {
    let labels: Matcher;
    let fields: Matcher;
    try {
      labels = labelMatcher(q.get('labelSelector'));
      fields = fieldMatcher(q.get('fieldSelector'));
    } catch (err) {
      return send(res, 400, status(400, 'BadRequest', (err as Error).message));
    }
    const rv = parseRv(q.get('resourceVersion'));
    if (Number.isNaN(rv)) return send(res, 400, status(400, 'BadRequest', 'invalid resourceVersion'));
    const gone = rv !== undefined && rv < store.compacted;
    if (gone && options.goneAs === 'status') {
      return send(res, 410, status(410, 'Expired', `too old resource version: ${rv} (${store.compacted})`));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (gone) {
      const err = status(410, 'Expired', `too old resource version: ${rv} (${store.compacted})`);
      res.end(`${JSON.stringify({ type: 'ERROR', object: err })}\n`);
      return;
    }
    const w: Watcher = {
      path,
      served,
      namespace,
      matches: (o) => labels(o) && fields(o),
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      res,
      dropOnNext: false,
      held: [],
    };
    // Catch up: synthetic ADDED for the current state, or the changes after `rv`.
    if (rv === undefined) {
      const { keys, objects } = store.stateAt(served.storage, store.rv);
      for (const k of keys) {
        const obj = objects.get(k)!;
        if ((namespace === undefined || obj.metadata.namespace === namespace) && w.matches(obj)) {
          res.write(`${JSON.stringify({ type: 'ADDED', object: renderOut(served, obj) })}\n`);
        }
      }
    } else {
      for (const c of store.changesSince(served.storage, rv)) {
        const line = eventFor(w, c);
        if (line) res.write(line);
      }
    }
    watchers.add(w);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? defaultTimeout) || defaultTimeout;
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

  async function handleStatusWrite(
    req: IncomingMessage,
    res: ServerResponse,
    served: Served,
    namespace: string | undefined,
    name: string,
  ): Promise<void> {
    const key = namespace ? `${namespace}/${name}` : name;
    const current = store.current(served.storage, key);
    if (!current) return send(res, 404, status(404, 'NotFound', `${served.plural} "${name}" not found`));
    let body: KubeObject;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, status(400, 'BadRequest', 'request body is not JSON'));
    }
    let nextStatus: unknown;
    if (req.method === 'PUT') {
      const pre = body.metadata?.resourceVersion;
      if (pre && pre !== current.metadata.resourceVersion) {
        return send(
          res,
          409,
          status(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${served.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          ),
        );
      }
      nextStatus = (served.into(body) as { status?: unknown }).status;
    } else {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
        return send(
          res,
          415,
          status(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`,
          ),
        );
      }
      nextStatus = mergePatch(
        (current as { status?: unknown }).status,
        (body as { status?: unknown }).status,
      );
    }
    const stored = store.put(served.storage, { ...current, status: nextStatus } as KubeObject, new Date());
    send(res, 200, renderOut(served, stored));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams;
    const isWatch = q.get('watch') === '1' || q.get('watch') === 'true';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(q),
      watch: isWatch,
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
    };
    requests.push(record);
    notify();
    if (stalled) await new Promise<void>((resolve) => heldRequests.push(resolve));
    if (failures && failures.count > 0 && failures.match(record)) {
      failures.count--;
      return send(res, failures.status, status(failures.status, 'InternalError', 'injected failure'));
    }
    const socket = req.socket as TLSSocket;
    const certOk = options.tls?.requestCert === true && socket.authorized === true;
    if (token !== undefined && !certOk && req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    if (url.pathname === '/version') {
      return send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-switchyard-fake' });
    }
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const target = resolveResource(segments);
    if (!target)
      return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { served, namespace, name, sub } = target;
    if (name === undefined) {
      if (req.method !== 'GET')
        return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} not supported`));
      return isWatch
        ? handleWatch(req, res, url.pathname, served, namespace, q)
        : handleList(res, served, namespace, q);
    }
    if (served.namespaced && namespace === undefined) {
      return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (
      sub === 'status' &&
      WITH_STATUS.has(served.plural) &&
      (req.method === 'PUT' || req.method === 'PATCH')
    ) {
      return handleStatusWrite(req, res, served, namespace, name);
    }
    if (sub !== undefined && sub !== 'status') {
      return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (req.method !== 'GET')
      return send(res, 405, status(405, 'MethodNotAllowed', `${req.method} not supported`));
    const obj = store.current(served.storage, namespace ? `${namespace}/${name}` : name);
    if (!obj) return send(res, 404, status(404, 'NotFound', `${served.plural} "${name}" not found`));
    send(res, 200, renderOut(served, obj));
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, status(500, 'InternalError', String(err)));
      else res.destroy();
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
    const served = RESOURCES.find(
      (r) => r.kind === kind && (apiVersion === undefined || apiVersionOf(r) === apiVersion),
    );
    if (!served) throw new FakeKubeUnknownKindError(`${apiVersion ?? '?'} ${kind ?? '?'}`);
    return served;
  }

  const faults: FakeKubeFaults = {
    failNext(count, o = {}) {
      failures = { count, status: o.status ?? 500, match: o.match ?? (() => true) };
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
      const v1 = served.into(obj);
      const canonical = RESOURCES.find((r) => r.storage === served.storage)!;
      const stored = store.put(
        served.storage,
        { ...v1, apiVersion: apiVersionOf(canonical), kind: served.kind },
        new Date(),
      );
      return structuredClone(stored) as T;
    },
    delete(kind, namespace, name) {
      const served = storageOf(undefined, kind);
      return store.remove(served.storage, namespace ? `${namespace}/${name}` : name) !== undefined;
    },
    get<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
      const served = storageOf(undefined, kind);
      const obj = store.current(served.storage, namespace ? `${namespace}/${name}` : name);
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

/** JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
