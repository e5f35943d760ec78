/**
 * The Kubernetes REST client: list (one page or all pages), watch as an `AsyncIterable`, get, and
 * the Ingress status subresource. It speaks only the documented API ("API Concepts",
 * kubernetes.io/docs/reference/using-api/api-concepts/), so it runs unchanged against a real
 * cluster and the testkit's API server. Errors are typed: `KubeGoneError` (410) means "relist",
 * `KubeApiError` carries the server's Status, `KubeTransportError` is the network.
 *
 * Longer than ~300 lines on purpose: one request pipeline (credentials, retries, proxy, TLS pools,
 * timeouts) that every verb goes through; the retry rules, credentials, proxy and connection types
 * already live in their own modules.
 */
import { type Clock, nullStats, type Random, type Stats, systemClock } from '@switchyard/core';
import { Agent, type Dispatcher, ProxyAgent, request, errors as undiciErrors } from 'undici';
import { backoffDelay } from './backoff.js';
import type { KubeConnectionConfig, KubeImpersonation } from './connection.js';
import { createAuthProvider } from './credentials.js';
import {
  KubeApiError,
  KubeGoneError,
  KubeTransportError,
  KubeWatchDecodeError,
  KubeWatchIdleError,
} from './errors.js';
import { splitLines } from './ndjson.js';
import { proxyFor } from './proxy.js';
import { type ResourceDescriptor, resourcePath } from './resources.js';
import {
  impersonationHeaders,
  isTransient,
  type KubeRetryOptions,
  type RetryPolicy,
  retryAfterMs,
} from './retry.js';
import { k8sChannels, systemRandom } from './runtime.js';
import type { KubeList, KubeObject, KubeStatus } from './types.js';

/** Options of {@link createKubeClient}. */
export interface KubeClientOptions {
  /** Time source for credential expiry; default the system clock. */
  readonly clock?: Clock;
  /** Randomness, handed to informers built on this client; default `Math.random`. */
  readonly random?: Random;
  /** Counters `requests`, `request_failures`, `watch_events`; default none. */
  readonly stats?: Stats;
  /** Deadline for response headers and non-watch bodies, ms. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** `User-Agent` header. Default `switchyard-k8s`. */
  readonly userAgent?: string;
  /** Retries of one-shot calls; see {@link KubeRetryOptions}. */
  readonly retry?: KubeRetryOptions;
  /**
   * Impersonation (kubeconfig `as`, `as-groups`, `as-uid`, `as-user-extra`; "User impersonation" in
   * the Kubernetes authentication docs): sent as `Impersonate-*` headers on every request.
   * Default: the config's `impersonate`.
   */
  readonly impersonate?: KubeImpersonation;
  /** Environment for `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (see `proxy.ts`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Query options shared by list and watch. Selector syntax is the API's (`app=web,tier!=db`). */
export interface SelectorOptions {
  /** Restrict to one namespace; absent means all namespaces (for namespaced resources). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Every resource supports `metadata.name` and `metadata.namespace`. */
  readonly fieldSelector?: string;
  /** Cancels the request or ends the watch. */
  readonly signal?: AbortSignal;
}

/**
 * Options of {@link KubeClient.list}. `resourceVersion` semantics (API Concepts, "Semantics for
 * get and list"): unset → most recent (a consistent read); `"0"` → any version (may be stale, served
 * from cache); any other value → not older than it. With `limit`, pass the previous page's
 * `metadata.continue` as `continue`; an expired token answers 410 ({@link KubeGoneError}).
 */
export interface ListOptions extends SelectorOptions {
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

/**
 * Options of {@link KubeClient.watch} (API Concepts, "Efficient detection of changes").
 * `resourceVersion` unset → synthetic ADDED events for the current state, then changes; `"0"` →
 * the same from any (possibly stale) state; a version from a list or event → exactly the changes
 * after it, or {@link KubeGoneError} if it has been compacted away.
 */
export interface WatchOptions extends SelectorOptions {
  readonly resourceVersion?: string;
  /** Ask for BOOKMARK events, which advance the resourceVersion without object changes. */
  readonly allowWatchBookmarks?: boolean;
  /** Ask the server to end the stream after this long; renew by watching again from the last version. */
  readonly timeoutSeconds?: number;
  /**
   * Give up on a stream that sends no bytes for this long, ms (a stalled server or a dead network
   * path). Default: `timeoutSeconds` + 30 s when `timeoutSeconds` is set, else no idle limit.
   */
  readonly idleTimeoutMs?: number;
}

/**
 * One watch event, discriminated on `kind`. For `deleted`, `object` is the last state of the
 * object. `bookmark` carries only a resourceVersion to resume from (API Concepts, "Watch
 * bookmarks"). `ERROR` events are not events: they end the iteration with a thrown
 * {@link KubeGoneError} (Status code 410) or {@link KubeApiError}.
 */
export type WatchEvent<T extends KubeObject> =
  | { readonly kind: 'added'; readonly object: T }
  | { readonly kind: 'modified'; readonly object: T }
  | { readonly kind: 'deleted'; readonly object: T }
  | { readonly kind: 'bookmark'; readonly resourceVersion: string };

/** A Kubernetes API client bound to one connection config. Create with {@link createKubeClient}. */
export interface KubeClient {
  /** The connection config this client uses. */
  readonly config: KubeConnectionConfig;
  /** Default namespace of the config (pod namespace or kubeconfig context), if any. */
  readonly namespace: string | undefined;
  /** Randomness and clock for informers built on this client. */
  readonly random: Random;
  readonly clock: Clock;
  /**
   * One list request (one page when `limit` is set). Throws {@link KubeGoneError} for an expired
   * continue token or a compacted `resourceVersion`, {@link KubeApiError} for other statuses.
   */
  list<T extends KubeObject>(resource: ResourceDescriptor<T>, options?: ListOptions): Promise<KubeList<T>>;
  /**
   * Every page of a list, concatenated. All pages are served from the same snapshot, so the result
   * is consistent and `metadata.resourceVersion` is a valid watch start. If a continue token
   * expires mid-way, the list restarts from the first page (a fresh, consistent snapshot).
   * `limit` is the page size (default 500).
   */
  listAll<T extends KubeObject>(resource: ResourceDescriptor<T>, options?: ListOptions): Promise<KubeList<T>>;
  /**
   * A watch stream. Iterate with `for await`; breaking out (or aborting `signal`) closes the
   * connection. The iteration ends normally when the server closes the stream (e.g. after
   * `timeoutSeconds`) and throws {@link KubeTransportError} when it breaks, including mid-event
   * (a half-received event is never yielded).
   */
  watch<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    options?: WatchOptions,
  ): AsyncIterable<WatchEvent<T>>;
  /** One object, or `undefined` when it does not exist (404). */
  get<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    namespace: string | undefined,
    name: string,
    options?: { signal?: AbortSignal },
  ): Promise<T | undefined>;
  /**
   * `POST` to the collection: creates `object` (namespace from its metadata). An existing name is
   * a 409 {@link KubeApiError} with reason `AlreadyExists`.
   */
  create<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T>;
  /**
   * `PUT .../<name>`: replaces `object`. Its `metadata.resourceVersion`, when set, is a precondition
   * (optimistic concurrency): a stale one gives a 409 {@link KubeApiError} with reason `Conflict`.
   */
  replace<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T>;
  /**
   * `PUT .../<name>/status`: replaces the status of `object` (namespace and name from its metadata).
   * If `object.metadata.resourceVersion` is set it is a precondition: a stale one gives a 409
   * {@link KubeApiError} (reason `Conflict`).
   */
  replaceStatus<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T>;
  /**
   * `PATCH .../<name>/status` with a JSON merge patch (RFC 7386), e.g.
   * `{ status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } }`.
   */
  patchStatus<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T>;
  /** Closes pooled connections; in-flight watches end. */
  close(): Promise<void>;
}

const DEFAULT_PAGE = 500;

/** Creates a client for `config`. Cheap; one connection pool per client. */
export function createKubeClient(config: KubeConnectionConfig, options: KubeClientOptions = {}): KubeClient {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const stats = options.stats ?? nullStats;
  const requests = stats.counter('requests');
  const failures = stats.counter('request_failures');
  const watchEvents = stats.counter('watch_events');
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const userAgent = options.userAgent ?? 'switchyard-k8s';
  const auth = createAuthProvider(config.credentials, clock);
  const https = config.server.startsWith('https:');
  const connect: {
    ca?: string;
    cert?: string;
    key?: string;
    rejectUnauthorized?: boolean;
    servername?: string;
  } = https
    ? {
        ca: config.tls.ca,
        cert: config.tls.cert,
        key: config.tls.key,
        rejectUnauthorized: config.tls.insecureSkipVerify !== true,
        servername: config.tls.serverName,
      }
    : {};
  const proxy = proxyFor(config.server, config.proxyUrl, options.env ?? process.env);
  // Through a proxy, the TLS settings apply to the API server end of the CONNECT tunnel.
  const makeDispatcher = (tls: typeof connect): Dispatcher =>
    proxy ? new ProxyAgent({ uri: proxy, requestTls: tls }) : new Agent({ connect: tls });
  const dispatcher = makeDispatcher(connect);
  // An exec plugin may return a client certificate instead of (or with) a token; it can rotate,
  // so connections are made with the current one, on a pool of their own.
  let certDispatcher: { pem: string; agent: Dispatcher } | undefined;
  async function dispatcherFor(): Promise<Dispatcher> {
    if (!https || config.credentials.kind !== 'exec') return dispatcher;
    const cert = await auth.certificate();
    if (!cert) return dispatcher;
    const pem = cert.cert + cert.key;
    if (certDispatcher?.pem !== pem) {
      const old = certDispatcher?.agent;
      certDispatcher = { pem, agent: makeDispatcher({ ...connect, cert: cert.cert, key: cert.key }) };
      void old?.close();
    }
    return certDispatcher.agent;
  }

  const retry = options.retry ?? {};
  const maxRetries = retry.maxRetries ?? 5;
  const retryBackoff = retry.backoff ?? { initialMs: 200, maxMs: 5_000 };
  const maxRetryAfterMs = (retry.maxRetryAfterSeconds ?? 60) * 1000;
  const impersonation = impersonationHeaders(options.impersonate ?? config.impersonate);

  function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function send(
    method: Dispatcher.HttpMethod,
    path: string,
    init: {
      query?: URLSearchParams;
      body?: string;
      contentType?: string;
      signal?: AbortSignal;
      bodyTimeout?: number;
      retry?: RetryPolicy;
    } = {},
  ): Promise<Dispatcher.ResponseData> {
    const qs = init.query?.toString();
    const url = `${config.server}${path}${qs ? `?${qs}` : ''}`;
    const policy = init.retry ?? 'throttle';
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string | string[]> = {
        accept: 'application/json',
        'user-agent': userAgent,
        ...impersonation,
      };
      const authorization = await auth.header();
      if (authorization) headers.authorization = authorization;
      const via = await dispatcherFor();
      if (init.contentType) headers['content-type'] = init.contentType;
      const started = clock.now();
      requests.incr();
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          body: init.body,
          dispatcher: via,
          signal: init.signal,
          headersTimeout: requestTimeoutMs,
          bodyTimeout: init.bodyTimeout ?? requestTimeoutMs,
        });
      } catch (cause) {
        failures.incr();
        publishRequest(method, path, 0, started);
        if (init.signal?.aborted) throw cause;
        if (policy === 'idempotent' && attempt < maxRetries && isTransient(cause)) {
          await sleep(backoffDelay(attempt, random, retryBackoff), init.signal);
          continue;
        }
        throw new KubeTransportError(`${method} ${path}: ${(cause as Error).message}`, { cause });
      }
      publishRequest(method, path, res.statusCode, started);
      // A rotated token file or an expired exec token: read credentials afresh and retry once.
      if (res.statusCode === 401 && !reauthenticated && config.credentials.kind !== 'none') {
        await res.body.dump();
        auth.invalidate();
        reauthenticated = true;
        continue;
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return res;
      failures.incr();
      const wait = attempt < maxRetries ? retryWait(res, policy, attempt) : undefined;
      if (wait !== undefined && !init.signal?.aborted) {
        await res.body.dump();
        publishRetry(method, path, res.statusCode, wait, attempt);
        await sleep(wait, init.signal);
        continue;
      }
      const status = await readStatus(res);
      if (res.statusCode === 410) throw new KubeGoneError(`${method} ${path}`, status);
      throw new KubeApiError(method, path, res.statusCode, status);
    }
  }

  /** How long to wait before retrying `res`, or undefined when it is not retried. */
  function retryWait(res: Dispatcher.ResponseData, policy: RetryPolicy, attempt: number): number | undefined {
    const code = res.statusCode;
    const after = retryAfterMs(res.headers['retry-after']);
    if (code === 429) return Math.min(after ?? backoffDelay(attempt, random, retryBackoff), maxRetryAfterMs);
    if (code >= 500 && after !== undefined) return Math.min(after, maxRetryAfterMs);
    if (code >= 500 && policy === 'idempotent' && retry.serverErrors === true) {
      return backoffDelay(attempt, random, retryBackoff);
    }
    return undefined;
  }

  function publishRetry(
    method: string,
    path: string,
    status: number,
    delayMs: number,
    attempt: number,
  ): void {
    if (k8sChannels.retry.hasSubscribers) {
      k8sChannels.retry.publish({ method, path, status, delayMs, attempt });
    }
  }

  function publishRequest(method: string, path: string, status: number, started: number): void {
    if (k8sChannels.request.hasSubscribers) {
      k8sChannels.request.publish({ method, path, status, durationMs: clock.now() - started });
    }
  }

  function selectorQuery(o: SelectorOptions | undefined, q: URLSearchParams): void {
    if (o?.labelSelector) q.set('labelSelector', o.labelSelector);
    if (o?.fieldSelector) q.set('fieldSelector', o.fieldSelector);
  }

  async function list<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const q = new URLSearchParams();
    selectorQuery(o, q);
    if (o.limit !== undefined) q.set('limit', String(o.limit));
    if (o.continue) q.set('continue', o.continue);
    if (o.resourceVersion !== undefined) q.set('resourceVersion', o.resourceVersion);
    if (o.resourceVersionMatch) q.set('resourceVersionMatch', o.resourceVersionMatch);
    const res = await send('GET', resourcePath(resource, o.namespace), {
      query: q,
      signal: o.signal,
      retry: 'idempotent',
    });
    const body = (await readJson(res, 'GET', resourcePath(resource, o.namespace))) as KubeList<T>;
    return { ...body, metadata: body.metadata ?? {}, items: body.items ?? [] };
  }

  async function listAll<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const limit = o.limit ?? DEFAULT_PAGE;
    // A continue token can expire between pages; each restart begins a new consistent snapshot.
    for (let restarts = 0; ; restarts++) {
      const items: T[] = [];
      let first: KubeList<T> | undefined;
      let token: string | undefined;
      try {
        do {
          const page: KubeList<T> = await list(resource, {
            ...o,
            limit,
            continue: token,
            resourceVersion: token ? undefined : o.resourceVersion,
          });
          first ??= page;
          for (const item of page.items) items.push(item);
          token = page.metadata.continue || undefined;
        } while (token);
      } catch (err) {
        if (err instanceof KubeGoneError && token !== undefined && restarts < 3) continue;
        throw err;
      }
      const meta = { resourceVersion: first?.metadata.resourceVersion };
      return { apiVersion: first?.apiVersion, kind: first?.kind, metadata: meta, items };
    }
  }

  async function* watch<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    o: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const q = new URLSearchParams({ watch: '1' });
    selectorQuery(o, q);
    if (o.resourceVersion !== undefined) q.set('resourceVersion', o.resourceVersion);
    if (o.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true');
    if (o.timeoutSeconds !== undefined) q.set('timeoutSeconds', String(o.timeoutSeconds));
    const path = resourcePath(resource, o.namespace);
    const idleMs = o.idleTimeoutMs ?? (o.timeoutSeconds !== undefined ? (o.timeoutSeconds + 30) * 1000 : 0);
    let res: Dispatcher.ResponseData;
    try {
      res = await send('GET', path, { query: q, signal: o.signal, bodyTimeout: idleMs });
    } catch (err) {
      if (o.signal?.aborted) return;
      throw err;
    }
    const lines = splitLines(res.body);
    try {
      for (;;) {
        let step: IteratorResult<string, string>;
        try {
          step = await lines.next();
        } catch (cause) {
          if (o.signal?.aborted) return;
          if (cause instanceof undiciErrors.BodyTimeoutError) throw new KubeWatchIdleError(path, idleMs);
          throw new KubeTransportError(`watch ${path}: stream broke: ${(cause as Error).message}`, { cause });
        }
        if (step.done) {
          if (step.value !== '') {
            throw new KubeTransportError(`watch ${path}: stream ended in the middle of an event`);
          }
          return;
        }
        const event = decodeEvent<T>(path, step.value);
        watchEvents.incr();
        yield event;
      }
    } finally {
      // Ends the HTTP stream when the consumer stops early; a no-op after a clean end.
      res.body.destroy();
    }
  }

  async function get<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    namespace: string | undefined,
    name: string,
    o: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    const path = resourcePath(resource, namespace, name);
    try {
      const res = await send('GET', path, { signal: o.signal, retry: 'idempotent' });
      return (await readJson(res, 'GET', path)) as T;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function create<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T> {
    const path = resourcePath(resource, object.metadata.namespace);
    const res = await send('POST', path, { body: JSON.stringify(object), contentType: 'application/json' });
    return (await readJson(res, 'POST', path)) as T;
  }

  async function replace<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T> {
    const path = resourcePath(resource, object.metadata.namespace, object.metadata.name ?? '');
    const res = await send('PUT', path, { body: JSON.stringify(object), contentType: 'application/json' });
    return (await readJson(res, 'PUT', path)) as T;
  }

  async function replaceStatus<T extends KubeObject>(resource: ResourceDescriptor<T>, object: T): Promise<T> {
    const path = resourcePath(resource, object.metadata.namespace, object.metadata.name ?? '', 'status');
    const res = await send('PUT', path, { body: JSON.stringify(object), contentType: 'application/json' });
    return (await readJson(res, 'PUT', path)) as T;
  }

  async function patchStatus<T extends KubeObject>(
    resource: ResourceDescriptor<T>,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T> {
    const path = resourcePath(resource, namespace, name, 'status');
    const res = await send('PATCH', path, {
      body: JSON.stringify(patch),
      contentType: 'application/merge-patch+json',
      retry: 'idempotent',
    });
    return (await readJson(res, 'PATCH', path)) as T;
  }

  return Object.freeze({
    config,
    namespace: config.namespace,
    random,
    clock,
    list,
    listAll,
    watch,
    get,
    create,
    replace,
    replaceStatus,
    patchStatus,
    close: async () => {
      await Promise.all([dispatcher.close(), certDispatcher?.agent.close()]);
    },
  });
}

async function readStatus(res: Dispatcher.ResponseData): Promise<KubeStatus | undefined> {
  try {
    const text = await res.body.text();
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

async function readJson(res: Dispatcher.ResponseData, method: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (cause) {
    throw new KubeTransportError(`${method} ${path}: response body broke: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new KubeTransportError(`${method} ${path}: response is not JSON`, { cause });
  }
}

function decodeEvent<T extends KubeObject>(path: string, line: string): WatchEvent<T> {
  let raw: { type?: unknown; object?: unknown };
  try {
    raw = JSON.parse(line);
  } catch (cause) {
    throw new KubeWatchDecodeError(path, line, { cause });
  }
  const object = raw.object as T & KubeStatus;
  if (typeof object !== 'object' || object === null) throw new KubeWatchDecodeError(path, line);
  switch (raw.type) {
    case 'ADDED':
      return { kind: 'added', object };
    case 'MODIFIED':
      return { kind: 'modified', object };
    case 'DELETED':
      return { kind: 'deleted', object };
    case 'BOOKMARK':
      return { kind: 'bookmark', resourceVersion: object.metadata?.resourceVersion ?? '' };
    case 'ERROR': {
      const status = object as KubeStatus;
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
        throw new KubeGoneError(`watch ${path}`, status);
      }
      throw new KubeApiError('WATCH', path, status.code ?? 500, status);
    }
    default:
      throw new KubeWatchDecodeError(path, line);
  }
}
