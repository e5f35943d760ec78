/**
 * The router's default layer stack, outermost first. Each layer does one thing (Linkerd's
 * filters, linkerd2-proxy's layers) so the admin can print the stack and users can insert their
 * own. Layers that need no `await` return `next(ctx)` directly: no extra promise per request.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  IGNORED_OUTCOME,
  type RequeueBudget,
  type ResponseClassifier,
  type RetryBudget,
} from '@switchyard/balancers';
import type { BoundName, Clock, Counter, Histogram, Random, RequestHead, Stats } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { LRUCache } from 'lru-cache';
import { type Binder, pickLeaf, type TreeEntry, whenTreeResolved } from './binding.js';
import { diagnostics } from './channels.js';
import type { Client } from './client.js';
import type { RouterContext, RouterHandler, RouterLayer, ServerContext, UpgradeSocket } from './context.js';
import {
  AttemptTimeoutError,
  BadDtabHeaderError,
  BadRequestError,
  BindingTimeoutError,
  BodyTooLargeError,
  HttpVersionNotSupportedError,
  MaxCallDepthError,
  MethodNotAllowedError,
  NoRouteError,
  type NoRouteReason,
  OverloadedError,
  RouterClosedError,
  TotalTimeoutError,
  UnknownDestinationError,
} from './errors.js';
import { blamesEndpoint, failureOrigin, isRequeueable } from './failure-origin.js';
import { ClientGoneError, forwardAttempt, type RequestBody, RetryableStatus } from './forward.js';
import {
  addForwardingHeaders,
  type ForwardedHeaderOptions,
  type HeaderMap,
  prepareRequestHeaders,
  rewriteAbsoluteForm,
  VIA,
  viaHops,
} from './headers.js';
import { encodeErrHeader, rescue } from './rescue.js';

/** Server-level counters, `rt/<router>/server/<ip>/<port>/`. */
export interface ServerStats {
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  /** `status/1XX` … `status/5XX`, indexed by the first digit. */
  readonly statusClass: readonly (Counter | undefined)[];
}

/** Mutable state of one listening server. */
export interface ServerRuntime {
  readonly context: ServerContext;
  readonly maxConcurrentRequests: number;
  readonly maxRequestBodyBytes: number | undefined;
  readonly forwarded: ForwardedHeaderOptions;
  inflight: number;
  connections: number;
  stats: ServerStats;
  /** Responses of requests in flight, so that a drain can mark them `Connection: close`. */
  readonly open: Set<ServerResponse>;
}

/** Per logical name: stats and the retry budget (Linkerd's budget is per service). */
export interface ServiceEntry {
  /** `Path.show(dst)`. */
  readonly name: string;
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Histogram;
  readonly retries: Counter;
  readonly budgetExhausted: Counter;
  readonly budget: RetryBudget;
}

/** What the default layers need from their router. */
export interface RouterRuntime {
  readonly label: string;
  /** Mutable: `Router.reconfigure` swaps it for requests that start afterwards. */
  baseDtab: Dtab;
  baseDtabText: string;
  readonly parseDtab: (text: string) => Dtab;
  readonly binder: Binder;
  readonly clock: Clock;
  readonly random: Random;
  readonly classifier: ResponseClassifier;
  /** False when the classifier never answers `retryableFailure` (the default): skips retry plumbing. */
  readonly mayRetry: boolean;
  readonly totalTimeoutMs: number | undefined;
  readonly attemptTimeoutMs: number | undefined;
  readonly bindingTimeoutMs: number;
  readonly retryBufferBytes: number;
  readonly maxCallDepth: number;
  readonly maxErrBytes: number;
  /** `rt/<label>`. */
  readonly stats: Stats;
  readonly newRetryBudget: () => RetryBudget;
  /** Per-request stream of waits before classifier-driven retries; `undefined` retries at once. */
  readonly newRetryBackoff: (() => Iterator<number>) | undefined;
  readonly requeueBudgetOf: (client: Client) => RequeueBudget;
  identify: (head: RequestHead) => ReturnType<import('@switchyard/core').Identifier<RequestHead>>;
  /** True once `close()` started: new requests get 503, responses get `Connection: close`. */
  closing: boolean;
  /** Upgraded tunnels, destroyed when the router closes. */
  readonly tunnels: Set<import('node:stream').Duplex>;
}

const NO_BODY: RequestBody = Object.freeze({ kind: 'none' });

/**
 * The concrete context object. Fields beyond `RouterContext` are the router's own plumbing
 * between layers; user layers see only the interface.
 */
export class RequestCtx implements RouterContext {
  readonly router: string;
  readonly server: ServerContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly upgrade: UpgradeSocket | undefined;
  method: string;
  url: string;
  headers: HeaderMap;
  head: RequestHead;
  clientHost: string | undefined;
  dtabLocal: Dtab = Dtab.empty;
  dtabLocalText = '';
  dst: import('@switchyard/dtab').Path | undefined = undefined;
  endpoint: string | undefined = undefined;
  /** The identification's per-request dtab addition (`Identification.dtab`), bound after the base dtab. */
  dstDtab: Dtab | undefined = undefined;
  readonly startNs: bigint;
  #locals: Record<string, unknown> | undefined;
  // Router plumbing.
  readonly runtime: ServerRuntime;
  /** Request body: -1 chunked, 0 none, else Content-Length. */
  readonly bodyLength: number;
  service: ServiceEntry | undefined = undefined;
  client: Client | undefined = undefined;
  boundId = '';
  bound: BoundName | undefined = undefined;
  body: RequestBody = NO_BODY;
  deadlineNs = 0n;
  /** Set by the retries layer when the body can be re-sent. */
  retryPolicy: RouterRuntime | undefined = undefined;
  /** Monotonic end of the request, shared by the service and server latency stats. */
  endNs = 0n;

  constructor(
    router: string,
    runtime: ServerRuntime,
    req: IncomingMessage,
    res: ServerResponse,
    upgrade: UpgradeSocket | undefined,
    startNs: bigint,
  ) {
    this.router = router;
    this.runtime = runtime;
    this.server = runtime.context;
    this.req = req;
    this.res = res;
    this.upgrade = upgrade;
    this.startNs = startNs;
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    const headers = req.headers as HeaderMap;
    this.headers = headers;
    const host = headers.host;
    this.clientHost = typeof host === 'string' ? host : undefined;
    const cl = headers['content-length'];
    this.bodyLength =
      headers['transfer-encoding'] !== undefined
        ? -1
        : cl === undefined
          ? 0
          : Number.parseInt(cl as string, 10) || 0;
    this.head = this.#buildHead();
  }

  /**
   * Consulted by the attempt before a response is written: true means discard it and retry
   * (the classifier calls it retryable and the service budget allows one more).
   */
  retryOnStatus(status: number): boolean {
    const rt = this.retryPolicy;
    if (rt === undefined || rt.classifier({ method: this.method, status }) !== 'retryableFailure')
      return false;
    const svc = this.service!;
    if (svc.budget.tryWithdraw()) return true;
    svc.budgetExhausted.incr();
    return false;
  }

  get locals(): Record<string, unknown> {
    this.#locals ??= {};
    return this.#locals;
  }

  /** Rebuilds the identifier view after `method`/`url`/`headers` changed. */
  refreshHead(): void {
    this.head = this.#buildHead();
  }

  #buildHead(): RequestHead {
    const req = this.req;
    return {
      method: this.method,
      url: this.url,
      httpVersion: req.httpVersion,
      headers: this.headers,
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
      secure: (req.socket as TLSSocket).encrypted === true,
    };
  }
}

function ctxOf(ctx: RouterContext): RequestCtx {
  return ctx as RequestCtx;
}

/** Writes an error response, or destroys the connection if the response already started. */
export function respondError(rt: RouterRuntime, ctx: RequestCtx, err: unknown): void {
  const { res } = ctx;
  const clearContext = ctx.server.clearContext;
  const rescued = rescue(err, { clearContext });
  if (diagnostics.error.hasSubscribers) {
    diagnostics.error.publish({
      router: rt.label,
      server: ctx.server,
      status: rescued.status,
      code: rescued.code,
      error: err,
    });
  }
  if (err instanceof ClientGoneError) {
    if (!res.destroyed) res.destroy();
    return;
  }
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded && !res.destroyed) res.destroy();
    return;
  }
  let body = rescued.body;
  if (Buffer.byteLength(body) > rt.maxErrBytes - 1)
    body = Buffer.from(body)
      .subarray(0, rt.maxErrBytes - 1)
      .toString();
  // text/plain ends with a newline (curl and terminals print the next prompt on its own line).
  body += '\n';
  const headers: OutgoingHttpHeaders = {
    ...rescued.headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    via: VIA,
  };
  if (!clearContext) headers['l5d-err'] = encodeErrHeader(rescued.body, rt.maxErrBytes);
  // An unread request body would otherwise be drained to keep the connection; close instead.
  if (rt.closing || rescued.close === true || !ctx.req.complete || ctx.upgrade !== undefined)
    headers.connection = 'close';
  try {
    res.writeHead(rescued.status, headers);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** `rt/<label>/server/<ip>/<port>` counters and latency; outermost, so it sees every outcome. */
function serverStatsLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'server-stats',
    description: 'counts requests, success/failures, status classes and latency per server',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const server = c.runtime;
      server.inflight++;
      server.open.add(ctx.res);
      server.stats.requests.incr();
      try {
        await next(ctx);
      } finally {
        server.inflight--;
        server.open.delete(ctx.res);
        const status = ctx.res.statusCode;
        const failed = status >= 500 || !responseCompleted(ctx);
        (failed ? server.stats.failures : server.stats.success).incr();
        server.stats.statusClass[Math.floor(status / 100)]?.incr();
        const end = c.endNs === 0n ? rt.clock.nanoTime() : c.endNs;
        server.stats.latency.add(Number(end - c.startNs) / 1e6);
      }
    },
  };
}

/**
 * Whether the client got the whole response, judged the same way on every transport: the
 * response was ended (handed to the socket in full) rather than cut (tunnels: by status). Not `writableFinished`: on TLS sockets the flush completes after the handler returns.
 */
function responseCompleted(ctx: RouterContext): boolean {
  // A tunnel's 101 is written on the raw socket, not through `res`: judged by status alone.
  return ctx.res.writableEnded || ctx.upgrade !== undefined;
}

/** One `rescue` at the edge: every error becomes a text/plain response (or a closed connection). */
function rescueLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'rescue',
    description: 'maps errors to status + text/plain body (l5d-err only without clearContext)',
    layer: (next) => async (ctx) => {
      try {
        await next(ctx);
      } catch (err) {
        respondError(rt, ctxOf(ctx), err);
      }
    },
  };
}

function admissionLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'admission',
    description: 'rejects at once (503) beyond maxConcurrentRequests or while closing',
    layer: (next) => (ctx) => {
      const server = ctxOf(ctx).runtime;
      if (rt.closing) return Promise.reject(new RouterClosedError());
      if (server.inflight > server.maxConcurrentRequests) {
        return Promise.reject(new OverloadedError(server.maxConcurrentRequests));
      }
      return next(ctx);
    },
  };
}

/** Methods the router forwards, for `Allow` (CONNECT is not proxied). */
const ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH';

/** Number of `Host` fields in the head as received (node joins or drops repeats in `headers`). */
function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

/**
 * RFC 9112 checks a proxy makes before it forwards anything, as nginx does: the HTTP major
 * version (§2.3, 505), one `Host` (§3.2, 400), the request-target form (§3.2: origin-form,
 * absolute-form, or asterisk-form for OPTIONS, which the router answers itself), and no CONNECT
 * (405: this is not a forward proxy). Requests failing them never pick an endpoint.
 */
function requestLineLayer(): RouterLayer {
  return {
    role: 'request-line',
    description: `HTTP/1.x only (505), one Host (400), origin/absolute-form targets (400); answers OPTIONS * (200), CONNECT → 405`,
    layer: (next) => (ctx) => {
      const req = ctx.req;
      if (req.httpVersionMajor !== 1)
        return Promise.reject(new HttpVersionNotSupportedError(req.httpVersion));
      if (req.method === 'CONNECT') return Promise.reject(new MethodNotAllowedError('CONNECT', ALLOW));
      if (hostCount(req.rawHeaders) > 1) {
        return Promise.reject(
          new BadRequestError('Host header', 'more than one Host field (RFC 9112 section 3.2)'),
        );
      }
      const url = req.url ?? '';
      if (url.charCodeAt(0) !== 47 /* / */) {
        if (url === '*') {
          if (req.method !== 'OPTIONS') {
            return Promise.reject(
              new BadRequestError(
                'request target',
                `asterisk-form (*) is only valid with OPTIONS, not ${req.method}`,
              ),
            );
          }
          return answerServerOptions(ctx);
        }
        if (rewriteAbsoluteForm(url) === undefined) {
          return Promise.reject(
            new BadRequestError('request target', 'expected origin-form (/path) or an absolute http(s) URI'),
          );
        }
      }
      return next(ctx);
    },
  };
}

/** `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7): answered here, never forwarded. */
function answerServerOptions(ctx: RouterContext): Promise<void> {
  const res = ctx.res;
  // The body, if any, is not read: close rather than drain it.
  const close = !ctx.req.complete;
  res.writeHead(200, {
    allow: ALLOW,
    'content-length': 0,
    via: VIA,
    ...(close ? { connection: 'close' } : {}),
  });
  res.end();
  return Promise.resolve();
}

function contextLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'context',
    description:
      'strips hop-by-hop headers; clearContext: drops l5d-*/dtab-local, else appends l5d-ctx-dtab, l5d-dtab to the dtab',
    layer: (next) => (ctx) => {
      const c = ctxOf(ctx);
      const inbound = prepareRequestHeaders(c.headers, c.server.clearContext);
      if (inbound.dtabHeaders.length > 0) {
        let local: Dtab = Dtab.empty;
        const texts: string[] = [];
        for (const [header, text] of inbound.dtabHeaders) {
          try {
            local = Dtab.concat(local, rt.parseDtab(text));
          } catch (err) {
            return Promise.reject(new BadDtabHeaderError(header, err));
          }
          texts.push(text.trim());
        }
        c.dtabLocal = local;
        c.dtabLocalText = texts.join(';');
      }
      return next(ctx);
    },
  };
}

function callDepthLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'call-depth',
    description: `rejects (400) requests with more than maxCallDepth (${rt.maxCallDepth}) Via hops`,
    layer: (next) => (ctx) => {
      const via = ctxOf(ctx).headers.via;
      if (via !== undefined) {
        const hops = viaHops(via);
        if (hops > rt.maxCallDepth) return Promise.reject(new MaxCallDepthError(hops, rt.maxCallDepth));
      }
      return next(ctx);
    },
  };
}

function proxyRewriteLayer(): RouterLayer {
  return {
    role: 'proxy-rewrite',
    description: 'absolute-form targets (GET http://h/p) become origin-form with Host: h',
    layer: (next) => (ctx) => {
      const c = ctxOf(ctx);
      if (c.url.charCodeAt(0) !== 47 /* / */) {
        const rewritten = rewriteAbsoluteForm(c.url);
        if (rewritten !== undefined) {
          c.url = rewritten.url;
          c.headers.host = rewritten.host;
          c.clientHost = rewritten.host;
          c.refreshHead();
        }
      }
      return next(ctx);
    },
  };
}

function describeRequest(ctx: RouterContext): string {
  const { head } = ctx;
  const remote = head.remoteAddress.startsWith('::ffff:') ? head.remoteAddress.slice(7) : head.remoteAddress;
  return `Request("${head.method} ${head.url}", from /${remote}:${head.remotePort})`;
}

function identifyLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'identify',
    description: 'names the request with the identifier (unidentified → 400, or the status it asks for)',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const id = await rt.identify(c.head);
      if (id.kind === 'unidentified')
        throw new UnknownDestinationError(describeRequest(ctx), id.reason, id.status);
      c.dst = id.path;
      c.dstDtab = id.dtab;
      const head = id.request;
      if (head !== c.head) {
        c.method = head.method;
        c.url = head.url;
        if (head.headers !== c.headers) c.headers = { ...(head.headers as HeaderMap) };
        c.refreshHead();
      }
      // `await`, not `return`: resolving an async function with a promise costs two more ticks.
      await next(ctx);
    },
  };
}

function withTimeout(wait: Promise<void>, ms: number, clock: Clock, onTimeout: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    wait.then(() => {
      clock.clearTimeout(timer);
      resolve();
    }, reject);
  });
}

function bindingWait(rt: RouterRuntime, c: RequestCtx, wait: Promise<void>, ms: number): Promise<void> {
  return withTimeout(wait, ms, rt.clock, () => new BindingTimeoutError(c.service!.name, rt.bindingTimeoutMs));
}

function noRoute(rt: RouterRuntime, c: RequestCtx, reason: NoRouteReason, cause?: unknown): NoRouteError {
  const dtabs = { base: rt.baseDtabText, local: c.dtabLocalText };
  return new NoRouteError(reason, c.service?.name ?? '', dtabs, cause);
}

const boundIds = new WeakMap<BoundName, string>();
const dtabTexts = new WeakMap<Dtab, string>();

/** `Dtab.show`, once per dtab object (identifiers reuse the object for the same content). */
function showDtab(dtab: Dtab): string {
  let text = dtabTexts.get(dtab);
  if (text === undefined) {
    text = Dtab.show(dtab);
    dtabTexts.set(dtab, text);
  }
  return text;
}

function showBoundId(bound: BoundName): string {
  let id = boundIds.get(bound);
  if (id === undefined) {
    id = Path.show(bound.id);
    boundIds.set(bound, id);
  }
  return id;
}

function bindLayer(rt: RouterRuntime): RouterLayer {
  const services = new LRUCache<string, ServiceEntry>({ max: 1000 });
  function service(key: string, dst: import('@switchyard/dtab').Path): ServiceEntry {
    let entry = services.get(key);
    if (entry === undefined) {
      const name = Path.show(dst);
      const s = rt.stats.scope('service', name.slice(1));
      entry = {
        name,
        requests: s.counter('requests'),
        success: s.counter('success'),
        failures: s.counter('failures'),
        latency: s.histogram('request_latency_ms'),
        retries: s.counter('retries', 'total'),
        budgetExhausted: s.counter('retries', 'budget_exhausted'),
        budget: rt.newRetryBudget(),
      };
      services.set(key, entry);
    }
    return entry;
  }

  /** Waits for whatever is still pending, within `bindingTimeoutMs`, then binds. */
  async function bindSlow(c: RequestCtx, entry: TreeEntry): Promise<void> {
    const start = rt.clock.now();
    const pending = whenTreeResolved(entry);
    if (pending !== undefined) await bindingWait(rt, c, pending, rt.bindingTimeoutMs);
    const client = pickClient(c, entry);
    const addrPending = client.whenResolved();
    if (addrPending !== undefined) {
      await bindingWait(rt, c, addrPending, Math.max(1, rt.bindingTimeoutMs - (rt.clock.now() - start)));
    }
    useClient(c, client);
  }

  function pickClient(c: RequestCtx, entry: TreeEntry): Client {
    const state = entry.state;
    if (state.kind === 'failed') throw noRoute(rt, c, 'bind-failed', state.error);
    if (state.kind === 'pending') throw new BindingTimeoutError(c.service!.name, rt.bindingTimeoutMs);
    const picked = pickLeaf(state.value, rt.random);
    if (typeof picked === 'string') throw noRoute(rt, c, picked);
    const id = showBoundId(picked);
    c.bound = picked;
    c.boundId = id;
    return rt.binder.client(id, picked);
  }

  function useClient(c: RequestCtx, client: Client): void {
    const addr = client.addr;
    if (addr.kind === 'failed') throw noRoute(rt, c, 'bind-failed', addr.error);
    if (addr.kind !== 'bound' || client.balancer.size === 0) throw noRoute(rt, c, 'no-endpoints');
    c.client = client;
  }

  /** Binds without allocating a promise when the tree and the address set are already known. */
  function bind(c: RequestCtx): Promise<void> | undefined {
    const dst = c.dst;
    if (dst === undefined) throw new UnknownDestinationError(describeRequest(c), 'no name was identified');
    const pathKey = dst.join('/');
    let key = c.dtabLocalText === '' ? pathKey : `${pathKey}\n${c.dtabLocalText}`;
    let dtab = c.dtabLocal.length === 0 ? rt.baseDtab : Dtab.concat(rt.baseDtab, c.dtabLocal);
    const extra = c.dstDtab;
    if (extra !== undefined && extra.length > 0) {
      // Base, then the identifier's dentries, then the request's own (which still override).
      key = `${key}\n#${showDtab(extra)}`;
      dtab = Dtab.concat(Dtab.concat(rt.baseDtab, extra), c.dtabLocal);
    }
    const entry = rt.binder.tree(key, dtab, dst);
    entry.service ??= service(pathKey, dst);
    c.service = entry.service as ServiceEntry;
    if (entry.state.kind === 'pending') return bindSlow(c, entry);
    const client = pickClient(c, entry);
    if (client.addr.kind === 'pending') return bindSlow(c, entry);
    useClient(c, client);
    return undefined;
  }

  return {
    role: 'bind',
    description: `binds the name through the dtab (cached; bindingTimeoutMs ${rt.bindingTimeoutMs}) and picks a client`,
    layer: (next) => (ctx) => {
      let waiting: Promise<void> | undefined;
      try {
        waiting = bind(ctxOf(ctx));
      } catch (err) {
        return Promise.reject(err);
      }
      return waiting === undefined ? next(ctx) : waiting.then(() => next(ctx));
    },
  };
}

/** RFC 9110 §9.2.2 idempotent methods: repeating them has the same effect as sending once. */
function idempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

/** Reads a request body of known, small length in full (so it can be re-sent). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onClose = () => {
      if (!req.complete) {
        cleanup();
        reject(new ClientGoneError());
      }
    };
    const cleanup = () => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
    };
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

function retriesLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'retries',
    description:
      'service policy: totalTimeoutMs, classifier-driven retries from the service budget (bodies ≤ retryBufferBytes are buffered to allow them), requeues of connection failures',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const svc = c.service!;
      const server = c.runtime;
      svc.requests.incr();
      if (rt.mayRetry) svc.budget.deposit();

      const h = c.headers;
      addForwardingHeaders(
        h,
        { remoteAddress: c.head.remoteAddress, secure: c.head.secure, host: c.clientHost },
        server.forwarded,
      );
      h['l5d-dst-service'] = svc.name;
      h['l5d-dst-client'] = c.boundId;
      if (!c.server.clearContext && c.dtabLocalText !== '') h['l5d-ctx-dtab'] = c.dtabLocalText;

      const method = c.method;
      const maxBody = server.maxRequestBodyBytes;
      let replayable = true;
      if (c.bodyLength !== 0) {
        if (maxBody !== undefined && c.bodyLength > maxBody) throw new BodyTooLargeError(maxBody);
        const mayRetry = rt.mayRetry && rt.classifier({ method, status: 503 }) === 'retryableFailure';
        if (mayRetry && c.bodyLength > 0 && c.bodyLength <= rt.retryBufferBytes && c.upgrade === undefined) {
          c.body = { kind: 'buffered', data: await readBody(c.req) };
        } else {
          c.body = { kind: 'stream', maxBytes: maxBody };
          replayable = false;
        }
      }
      if (rt.totalTimeoutMs !== undefined) c.deadlineNs = c.startNs + BigInt(rt.totalTimeoutMs) * 1_000_000n;
      if (replayable && rt.mayRetry) c.retryPolicy = rt;

      let requeues = 0;
      let backoff: Iterator<number> | undefined;
      const pause = async (): Promise<void> => {
        if (rt.newRetryBackoff === undefined) return;
        backoff ??= rt.newRetryBackoff();
        const ms = backoff.next().value;
        if (typeof ms === 'number' && ms > 0)
          await new Promise<void>((done) => rt.clock.setTimeout(done, ms));
      };
      try {
        for (;;) {
          try {
            await next(ctx);
            break;
          } catch (err) {
            if (err instanceof RetryableStatus) {
              svc.retries.incr();
              await pause();
              continue;
            }
            const origin = failureOrigin(err);
            // Only the endpoint's own failures (or a retired pool) are re-sent; a request the
            // router cannot forward or a client that left would fail the same way everywhere.
            const resend =
              isRequeueable(origin) ||
              // nginx's `proxy_next_upstream error`: a pooled connection reset or closed before
              // any response byte, on a request that is safe to repeat and whose body can be sent again.
              (origin.kind === 'endpoint' &&
                origin.stage === 'before-response' &&
                !origin.timedOut &&
                replayable &&
                idempotent(method) &&
                !ctx.res.headersSent);
            if (resend && c.client !== undefined) {
              if (rt.requeueBudgetOf(c.client).tryRequeue(requeues)) {
                requeues++;
                continue;
              }
              throw err;
            }
            if (
              replayable &&
              !ctx.res.headersSent &&
              origin.kind === 'endpoint' &&
              origin.stage !== 'connect' &&
              rt.classifier({ method, error: err }) === 'retryableFailure'
            ) {
              if (svc.budget.tryWithdraw()) {
                svc.retries.incr();
                await pause();
                continue;
              }
              svc.budgetExhausted.incr();
            }
            throw err;
          }
        }
        const status = ctx.res.statusCode;
        (rt.classifier({ method, status }) === 'success' ? svc.success : svc.failures).incr();
      } catch (err) {
        svc.failures.incr();
        throw err;
      } finally {
        if (c.endNs === 0n) c.endNs = rt.clock.nanoTime();
        svc.latency.add(Number(c.endNs - c.startNs) / 1e6);
      }
    },
  };
}

/** The innermost handler: pick an endpoint, send one attempt, feed the outcome to the balancer. */
function dispatchHandler(rt: RouterRuntime): RouterHandler {
  return async (ctx) => {
    const c = ctxOf(ctx);
    const client = c.client!;
    const lease = client.pick();
    if (lease === undefined) throw noRoute(rt, c, 'no-endpoints');
    const ep = lease.endpoint;
    c.endpoint = ep.key;
    let timeoutMs = rt.attemptTimeoutMs;
    let totalBound = false;
    if (c.deadlineNs !== 0n) {
      const left = Math.max(1, Number(c.deadlineNs - rt.clock.nanoTime()) / 1e6);
      if (timeoutMs === undefined || left < timeoutMs) {
        timeoutMs = Math.ceil(left);
        totalBound = true;
      }
    }
    ep.pending++;
    const t0 = rt.clock.nanoTime();
    try {
      const status = await forwardAttempt({
        ctx,
        endpoint: ep,
        body: c.body,
        timeoutMs,
        clock: rt.clock,
        retry: c.retryPolicy === undefined ? undefined : c,
        closeConnection: rt.closing,
      });
      c.endNs = rt.clock.nanoTime();
      const rttNs = Number(c.endNs - t0);
      const ok = rt.classifier({ method: c.method, status }) === 'success';
      lease.done({ ok, rttNs });
      ep.stats.requests.incr();
      client.stats.requests.incr();
      (ok ? ep.stats.success : ep.stats.failures).incr();
      (ok ? client.stats.success : client.stats.failures).incr();
      client.stats.latency.add(rttNs / 1e6);
    } catch (err) {
      // Only the endpoint's failures reach failure accrual and the failure counters; any other
      // ending only releases the lease. An attempt cut by the total deadline still had the
      // endpoint silent for its whole attempt: the endpoint's.
      const origin = failureOrigin(err);
      const blamed = blamesEndpoint(origin);
      lease.done(blamed ? { ok: false } : IGNORED_OUTCOME);
      // A request the client library refused never left the router: not a request to the endpoint.
      if (!(origin.kind === 'local' && origin.reason === 'unforwardable')) {
        ep.stats.requests.incr();
        client.stats.requests.incr();
      }
      if (blamed) {
        ep.stats.failures.incr();
        client.stats.failures.incr();
      }
      if (totalBound && err instanceof AttemptTimeoutError) throw new TotalTimeoutError(rt.totalTimeoutMs!);
      throw err;
    } finally {
      ep.pending--;
    }
  };
}

/**
 * The default stack, outermost first. `user` layers go between `identify` and `bind`.
 */
export function defaultLayers(rt: RouterRuntime, user: readonly RouterLayer[] = []): RouterLayer[] {
  return [
    serverStatsLayer(rt),
    rescueLayer(rt),
    admissionLayer(rt),
    requestLineLayer(),
    contextLayer(rt),
    callDepthLayer(rt),
    proxyRewriteLayer(),
    identifyLayer(rt),
    ...user,
    bindLayer(rt),
    retriesLayer(rt),
  ];
}

/** The terminal handler under the layers. */
export function terminalHandler(rt: RouterRuntime): RouterHandler {
  return dispatchHandler(rt);
}
