/**
 * The older user-layer form: one mutable `RouterContext` per request that a layer reads and
 * rewrites before calling `next`. The router's own layers no longer use it (they pass stage
 * values, see stages.ts); `adaptContextLayer` runs such a layer at any point of the stacks by
 * building the context from the stage value and the stage value back from the context.
 */

import type { Layer, NamedLayer, RequestHead } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import { InvalidRouterOptionsError } from './errors.js';
import type { HeaderMap } from './headers.js';
import type { HeldResponse } from './held-response.js';
import type { AttemptHandler, Bound, ClientRequest, ClientResponse } from './stages.js';
import { headOf, inboundOf, type ServerContext, type Stage, type UpgradeSocket, withHead } from './stages.js';

export type { ServerContext, UpgradeSocket } from './stages.js';

/**
 * What a `RouterLayer` sees of one request. `method`, `url` and `headers` are what will be sent
 * upstream: a layer may rewrite them (or replace `headers`) before calling `next`. `head` is the
 * read-only head as it was when the layer was entered.
 */
export interface RouterContext {
  /** The router's label (Linkerd's `label`, default `http`). */
  readonly router: string;
  readonly server: ServerContext;
  readonly req: ClientRequest;
  /**
   * The response to the client. For upgrade requests this is a response bound to the raw socket,
   * used for non-101 answers and errors.
   */
  readonly res: ClientResponse;
  /** Present for `Upgrade` requests. */
  readonly upgrade: UpgradeSocket | undefined;
  /** Method to send upstream. */
  method: string;
  /** Origin-form request target to send upstream. */
  url: string;
  /** Headers to send upstream (lower-case names; `undefined` values are not sent). */
  headers: HeaderMap;
  /** The head as the layer received it. */
  readonly head: RequestHead;
  /** The `Host` the client sent (after absolute-form rewrite), before any layer changed it. */
  readonly clientHost: string | undefined;
  /** Per-request dtab appended to the router's base dtab (from `l5d-*` headers). */
  readonly dtabLocal: Dtab;
  /** Text of `dtabLocal` as received, re-emitted downstream as `l5d-ctx-dtab`. */
  readonly dtabLocalText: string;
  /** The logical name once identified (e.g. `/svc/web`); read when needed, so a layer outside `identify` sees it after `next`. */
  readonly dst: Path | undefined;
  /** `host:port` of the endpoint the latest attempt went to, for telemetry. */
  readonly endpoint: string | undefined;
  /** Monotonic start time of the request in nanoseconds. */
  readonly startNs: bigint;
  /** Free-form slots for user layers (e.g. an auth layer's principal). */
  readonly locals: Record<string, unknown>;
}

/**
 * A router handler of the older form: serves one request, resolving when the response is
 * complete. It rejects only for failures that happened before response headers were sent.
 */
export type RouterHandler = (ctx: RouterContext) => Promise<void>;

/** A user layer of the older form, over `RouterContext`; it may go in any stack. */
export type RouterLayer = NamedLayer<RouterHandler>;

/** The `RouterContext` of one stage value, for one layer's run. */
class StageContext<S extends Stage> implements RouterContext {
  readonly value: S;
  readonly head: RequestHead;
  method: string;
  url: string;
  #headers: HeaderMap | undefined;

  constructor(value: S) {
    this.value = value;
    const head = headOf(value);
    this.head = head;
    this.method = head.method;
    this.url = head.url;
  }

  /**
   * A copy made on first use: the layer may write into it, the value it was handed stays
   * unchanged. Once the request is bound it also carries the `l5d-dst-service` and
   * `l5d-dst-client` the router sends upstream, as the one shared context of this form did (a
   * layer outside `bind` reads them after `next`, e.g. the recent-requests log).
   */
  get headers(): HeaderMap {
    this.#headers ??= { ...(this.head.headers as HeaderMap) };
    const headers = this.#headers;
    const record = inboundOf(this.value).exchange.record;
    if (record.client !== undefined && headers['l5d-dst-client'] !== record.client) {
      headers['l5d-dst-service'] = record.service;
      headers['l5d-dst-client'] = record.client;
    }
    return headers;
  }
  set headers(headers: HeaderMap) {
    this.#headers = headers;
  }

  get router(): string {
    return inboundOf(this.value).exchange.router;
  }
  get server(): ServerContext {
    return inboundOf(this.value).exchange.server;
  }
  get req(): ClientRequest {
    return inboundOf(this.value).exchange.req;
  }
  get res(): ClientResponse {
    return inboundOf(this.value).exchange.res;
  }
  get upgrade(): UpgradeSocket | undefined {
    return inboundOf(this.value).exchange.upgrade;
  }
  get clientHost(): string | undefined {
    return inboundOf(this.value).clientHost;
  }
  get dtabLocal(): Dtab {
    return inboundOf(this.value).local.dtab;
  }
  get dtabLocalText(): string {
    return inboundOf(this.value).local.text;
  }
  get dst(): Path | undefined {
    return inboundOf(this.value).exchange.record.dst;
  }
  get endpoint(): string | undefined {
    return inboundOf(this.value).exchange.record.endpoint;
  }
  get startNs(): bigint {
    return inboundOf(this.value).exchange.startNs;
  }
  get locals(): Record<string, unknown> {
    return inboundOf(this.value).exchange.locals;
  }

  /** The stage value to hand on: the same one unless the layer rewrote method, target or headers. */
  toStage(): S {
    const head = this.head;
    const headers = this.#headers;
    if (
      this.method === head.method &&
      this.url === head.url &&
      (headers === undefined || sameHeaders(headers, head.headers))
    )
      return this.value;
    return withHead(this.value, {
      ...head,
      method: this.method,
      url: this.url,
      headers: headers ?? head.headers,
    });
  }
}

function sameHeaders(a: HeaderMap, b: RequestHead['headers']): boolean {
  let n = 0;
  for (const name in a) {
    if (a[name] !== b[name]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/**
 * Runs a `RouterLayer` over stage values of one kind: each request gets a `RouterContext` built
 * from its value, and what the layer passes to `next` becomes a new value (rewrites included).
 */
export function adaptContextLayer<S extends Stage>(layer: RouterLayer): Layer<(value: S) => Promise<void>> {
  return (next) => {
    const handler = layer.layer((ctx) => {
      if (!(ctx instanceof StageContext)) {
        return Promise.reject(
          new InvalidRouterOptionsError(
            `layer ${layer.role} called next with another object than the RouterContext it was given`,
          ),
        );
      }
      // A StageContext built below from a value of kind S; `withHead` keeps the kind.
      return next(ctx.toStage() as S);
    });
    return (value) => handler(new StageContext(value));
  };
}

/**
 * Runs a `RouterLayer` in the client stack, over attempts: as {@link adaptContextLayer}, and the
 * held response `next` resolved with is what the attempt returns. The layer's own promise settles
 * when the response head arrived (its body not relayed yet). A layer that fails after `next`
 * resolved has the response discarded; one that resolves without calling `next` fails the attempt.
 */
export function adaptAttemptContextLayer(layer: RouterLayer): Layer<AttemptHandler> {
  return (next) => {
    const held = new WeakMap<RouterContext, HeldResponse>();
    const handler = layer.layer(async (ctx) => {
      if (!(ctx instanceof StageContext)) {
        throw new InvalidRouterOptionsError(
          `layer ${layer.role} called next with another object than the RouterContext it was given`,
        );
      }
      held.set(ctx, await next(ctx.toStage() as Bound));
    });
    return async (value) => {
      const ctx = new StageContext(value);
      try {
        await handler(ctx);
      } catch (err) {
        held.get(ctx)?.discard();
        throw err;
      }
      const response = held.get(ctx);
      if (response === undefined) {
        throw new InvalidRouterOptionsError(
          `layer ${layer.role} in the client stack resolved without calling next (an attempt needs a response)`,
        );
      }
      return response;
    };
  };
}
