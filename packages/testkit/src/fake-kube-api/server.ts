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
 * - List and watch live in `list-watch.ts`; conversion, CRD registration and admission in `objects.ts`.
 * - Writes (create, replace, JSON/merge/strategic patch, server-side apply, delete), the status
 *   subresource, generation, finalizers and managedFields: see `writes.ts`.
 * - Discovery (legacy and aggregated), OpenAPI v2/v3 and server-side Table printing, so kubectl
 *   works against it: see `discovery.ts`, `openapi.ts`, `table.ts`.
 * - Creating a CustomResourceDefinition makes its kind served (`registry.ts`).
 * - Errors are `Status` objects (API conventions, "Response Status Kind").
 *
 * Fault injection ({@link FakeKubeFaults}) breaks these promises on purpose: dropped streams (also
 * in the middle of an event), stalls, 500s, 429s with `Retry-After`, and forced compaction.
 *
 * Longer than ~300 lines on purpose: it routes every kind of path (discovery, OpenAPI, resources,
 * subresources) over state the other modules share through its closure, and holds the test-facing
 * API; each concept it routes to has its own module (list-watch, writes, faults, discovery,
 * openapi, resources).
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
import type { KubeObject } from '@switchyard/k8s';
import type { FakeKubeApi, FakeKubeApiOptions, RecordedRequest } from './api-types.js';
import {
  aggregatedDiscovery,
  aggregatedDiscoveryType,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import { FakeKubeInvalidObjectError, FakeKubeUnknownKindError } from './errors.js';
import { createFaults } from './faults.js';
import { createListWatch } from './list-watch.js';
import { createObjects, keyOf } from './objects.js';
import { openApiV2Doc, openApiV3Doc, openApiV3Index } from './openapi.js';
import { queryBool } from './query.js';
import { apiVersionOf, crdResources, Registry, type Served } from './resources.js';
import {
  ApiStatusError,
  failure,
  methodNotAllowed,
  notAcceptable,
  notFound,
  pathNotFound,
} from './status.js';
import { Store } from './store.js';
import { toTable, wantsTable } from './table.js';
import { create, patch, remove, replace, type WriteTarget } from './writes.js';

export type { FakeKubeApi, FakeKubeApiOptions, FakeKubeFaults, RecordedRequest } from './api-types.js';
export { mergePatch } from './patch.js';

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const store = new Store(options.historyLimit ?? 10_000);
  const registry = new Registry(options.disabled ?? []);
  const kubeVersion = options.kubernetesVersion ?? '1.31';
  let token = options.token;
  const requests: RecordedRequest[] = [];
  const waiters = new Set<{ check: () => boolean; resolve: () => void }>();
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

  const { renderOut, storeObject, removeObject, writeStore } = createObjects(store, registry);
  const { watchers, handleList, handleWatch, writeEvent, bookmarkLine, matchers } = createListWatch({
    store,
    options,
    renderOut,
    send,
    notify,
    stalled: () => fault.stalled(),
  });
  const fault = createFaults({ watchers, writeEvent, bookmarkLine, compact: () => store.compact() });

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

  function handleOpenApi(req: IncomingMessage, res: ServerResponse, segments: string[]): boolean {
    if (segments[0] !== 'openapi') return false;
    const all = registry.all();
    // JSON only: a client asking for nothing but the protobuf (gnostic) form, as client-go's
    // OpenAPISchema() does, gets 406 rather than JSON it would misparse as protobuf.
    const accept = req.headers.accept ?? '';
    if (accept !== '' && !/json|\*\/\*/.test(accept)) throw notAcceptable(accept, ['application/json']);
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
          return send(
            res,
            200,
            toTable(served.kind, [out], { resourceVersion: out.metadata.resourceVersion }),
          );
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
    await fault.admit(record);
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
    if (handleOpenApi(req, res, segments)) return;
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
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  function storageOf(apiVersion: string | undefined, kind: string | undefined): Served {
    const served = registry.byKind(apiVersion, kind);
    if (!served) throw new FakeKubeUnknownKindError(`${apiVersion ?? '?'} ${kind ?? '?'}`);
    return served;
  }

  const faults = fault.faults;

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
      return structuredClone(storeObject(served, obj, true)) as T;
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
      fault.releaseAll();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
