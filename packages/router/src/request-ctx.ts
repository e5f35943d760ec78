/**
 * The concrete per-request context behind `RouterContext`: the request as it will be sent
 * upstream plus the router's own plumbing between stacks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BoundName, RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { Client } from './client.js';
import type { RouterContext, ServerContext, UpgradeSocket } from './context.js';
import type { RequestBody } from './forward.js';
import type { HeaderMap } from './headers.js';
import type { RouterRuntime, ServerRuntime, ServiceEntry } from './runtime.js';

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

export function ctxOf(ctx: RouterContext): RequestCtx {
  return ctx as RequestCtx;
}
