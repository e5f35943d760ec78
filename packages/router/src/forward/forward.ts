/**
 * One attempt to forward a request to one endpoint over its undici pool. The attempt resolves
 * when the response head arrives, with the body held back (`HeldResponse`): the caller relays it
 * or discards it, this module never decides. Relaying streams the response into the client's
 * response with backpressure both ways: the upstream parser is paused while the client socket is
 * full, and the request body is piped (never buffered unless the caller chose to buffer a small
 * body for retries). Upgrade requests (WebSocket) become a raw bidirectional socket pipe when the
 * endpoint's 101 is relayed.
 *
 * Over ~300 lines on purpose: `ProxyHandler` is one state machine (settled/responded/abort
 * reason/timer) whose undici callbacks share that state; splitting it would spread one invariant
 * over several files.
 */
import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import type { Clock, RequestHead, TimerHandle } from '@switchyard/core';
import type { Dispatcher } from 'undici';
import type { Endpoint } from '../endpoint.js';
import {
  AttemptTimeoutError,
  BodyTooLargeError,
  ClientGoneError,
  ConnectFailedError,
  RouterError,
  UnforwardableRequestError,
  UpstreamFailedError,
} from '../errors.js';
import { type HeaderMap, prepareResponseHeaders } from '../headers.js';
import { type HeldResponse, RAW_FIELDS } from '../held-response.js';
import { parseRawFields, prepareRawResponseHeaders, type RawFields } from '../raw-fields.js';
import { rawFieldsOf } from '../request-head.js';
import { type Exchange, type RequestBody, responseDestroyed } from '../stages.js';
import { announcedTrailers, sendWithTrailers } from './forward-trailers.js';

export type { RequestBody } from '../stages.js';

/** Parameters of one attempt. */
export interface Attempt {
  readonly exchange: Exchange;
  /** Method, target and headers to send. */
  readonly head: RequestHead;
  readonly endpoint: Endpoint;
  readonly body: RequestBody;
  /** Time allowed until response headers, ms; undefined for none. */
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
  /** Add `Connection: close` to the response (the server is draining). */
  readonly closeConnection: boolean;
}

/** Counts request body bytes and fails the stream once `max` is exceeded. */
class ByteLimit extends Transform {
  #seen = 0;
  readonly #max: number;
  constructor(max: number) {
    super();
    this.#max = max;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#max) cb(new BodyTooLargeError(this.#max));
    else cb(null, chunk);
  }
}

export function bodyThrough(maxBytes: number | undefined): PassThrough | Transform {
  return maxBytes === undefined ? new PassThrough() : new ByteLimit(maxBytes);
}

/**
 * Starts piping the client's body into `through`. Called when undici starts writing the request
 * (after connecting), so a connect failure leaves the body unread and the request requeueable.
 * Not `pipeline`: an upstream failure must not destroy the client's socket, or no 502 could be sent.
 */
export function pipeBody(exchange: Exchange, through: PassThrough | Transform): void {
  const req = exchange.req;
  // Closed before the attempt started (a body Node refused, a reset): no 'close' will come.
  if (req.destroyed && !req.complete) {
    through.destroy(new ClientGoneError());
    return;
  }
  req.pipe(through);
  const onAbort = () => {
    if (!req.complete) through.destroy(new ClientGoneError());
  };
  req.once('close', onAbort);
  through.once('close', () => {
    req.off('close', onAbort);
    req.unpipe(through);
  });
}

/** Status line plus headers for a 101 written directly onto the client socket. */
function rawResponseHead(status: number, statusMessage: string, headers: OutgoingHttpHeaders): string {
  let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

type Phase = 'head' | 'held' | 'relaying' | 'done';

/**
 * What the node:http sender (`forward-trailers.ts`) gives the handler instead of undici's
 * `onConnect(abort)` and `onHeaders(…, resume)`: abort the request, resume a paused response.
 */
interface Upstream {
  abort(reason: Error): void;
  resume(): void;
}

/** The held response of an HTTP/1.1 attempt: the handler's state, read and driven through it. */
class HeldH1 implements HeldResponse {
  readonly status: number;
  readonly [RAW_FIELDS]: RawFields;
  readonly #handler: ProxyHandler;
  #parsed: HeaderMap | undefined;
  constructor(handler: ProxyHandler, status: number, raw: RawFields) {
    this.#handler = handler;
    this.status = status;
    this[RAW_FIELDS] = raw;
  }
  /** Parsed on first read only: the relay writes the raw fields. */
  get headers(): HeaderMap {
    this.#parsed ??= parseRawFields(this[RAW_FIELDS]);
    return this.#parsed;
  }
  relay(extra?: Readonly<Record<string, string>>): Promise<number> {
    return this.#handler.relayHeld(extra);
  }
  discard(): void {
    this.#handler.discardHeld();
  }
}

/**
 * The streaming undici handler for one attempt, in undici's raw handler form (`onConnect`,
 * `onHeaders` with the raw field list, `onData`, `onComplete`, `onError`, `onUpgrade`): undici
 * wraps a handler of the newer controller form in an adapter that parses every response head
 * into an object, which a proxy only re-serialises. The head promise settles once: with a
 * `HeldResponse` when the response head arrives (the upstream is paused until `relay`), or with
 * an error before that. `relay` writes the response and settles when it was written in full.
 */
class ProxyHandler implements Dispatcher.DispatchHandler {
  readonly #attempt: Attempt;
  readonly #resolveHead: (held: HeldResponse) => void;
  readonly #rejectHead: (err: Error) => void;
  #relayed: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
  /** Aborts the upstream request: undici's `abort` from `onConnect`, or the sender's. Unset before the request started. */
  #abort: ((reason: Error) => void) | undefined;
  /** Resumes a response the handler paused (by returning false from `onHeaders`/`onData`). */
  #resume: (() => void) | undefined;
  /** True while the handler wants the response paused (what `onHeaders`/`onData` return, negated). */
  #paused = false;
  #timer: TimerHandle | undefined;
  #phase: Phase = 'head';
  /** An error that ended the attempt while its response was held: `relay` rejects with it. */
  #heldError: Error | undefined;
  /** Body chunks and end (with trailers) that arrived while the response was held. */
  #early: Buffer[] | undefined;
  #earlyEnd: RawFields | null | undefined;
  #responded = false;
  #abortReason: Error | undefined;
  #status = 0;
  #statusMessage: string | undefined;
  #rawHead: RawFields = [];
  /** The endpoint's socket after a 101 (`onUpgrade`), until relayed or discarded. */
  #upgraded: Duplex | undefined;
  readonly #body: PassThrough | Transform | undefined;

  constructor(
    attempt: Attempt,
    body: PassThrough | Transform | undefined,
    resolve: (held: HeldResponse) => void,
    reject: (err: Error) => void,
  ) {
    this.#attempt = attempt;
    this.#body = body;
    this.#resolveHead = resolve;
    this.#rejectHead = reject;
    const { timeoutMs, clock } = attempt;
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.#timer = clock.setTimeout(() => this.#fail(new AttemptTimeoutError(timeoutMs)), timeoutMs);
    }
    attempt.exchange.res.once('close', this.#onClientClose);
  }

  /** True when the client's connection closed before this attempt existed: no 'close' will come. */
  get clientGone(): boolean {
    return responseDestroyed(this.#attempt.exchange.res) && !this.#attempt.exchange.res.writableEnded;
  }

  readonly #onClientClose = (): void => {
    // writableEnded, not writableFinished: on TLS sockets the flush completes later.
    if (this.#phase !== 'done' && !this.#attempt.exchange.res.writableEnded)
      this.#fail(new ClientGoneError());
  };

  /** A 'drain' listener is registered on the client's response. */
  #awaitingDrain = false;
  /** Created on first backpressure only: most responses never need it. */
  #onDrain: (() => void) | undefined;

  /** Pauses the upstream until the client's response drains. */
  #awaitDrain(): void {
    this.#paused = true;
    if (this.#awaitingDrain) return;
    this.#awaitingDrain = true;
    this.#onDrain ??= () => {
      this.#awaitingDrain = false;
      this.#resumeUpstream();
    };
    this.#attempt.exchange.res.once('drain', this.#onDrain);
  }

  #resumeUpstream(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resume?.();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#attempt.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Aborts the upstream request (now, or when it starts) and ends the attempt with `err`. */
  #fail(err: Error): void {
    this.#clearTimer();
    if (this.#abortReason === undefined) {
      this.#abortReason = err;
      this.#abort?.(err);
    }
    if (this.#responded && !responseDestroyed(this.#attempt.exchange.res))
      this.#attempt.exchange.res.destroy();
    this.#finish(err);
  }

  /** Ends the attempt: rejects the head, remembers the error for `relay`, or settles `relay`. */
  #finish(outcome: Error | number): void {
    const phase = this.#phase;
    if (phase === 'done') return;
    this.#phase = 'done';
    this.#clearTimer();
    this.#attempt.exchange.res.off('close', this.#onClientClose);
    if (phase === 'head') this.#rejectHead(typeof outcome === 'number' ? new ClientGoneError() : outcome);
    else if (phase === 'held') this.#heldError = typeof outcome === 'number' ? undefined : outcome;
    else if (typeof outcome === 'number') this.#relayed!.resolve(outcome);
    else this.#relayed!.reject(outcome);
  }

  /** Hands the caller the response head; the body waits (paused upstream) until `relay`. */
  #hold(status: number, raw: RawFields): void {
    this.#clearTimer();
    this.#phase = 'held';
    this.#status = status;
    this.#rawHead = raw;
    this.#resolveHead(new HeldH1(this, status, raw));
  }

  /** `HeldResponse.relay`: writes the held response (or completes the upgrade). */
  relayHeld(extra: Readonly<Record<string, string>> | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.#phase !== 'held') {
        reject(this.#heldError ?? new ClientGoneError());
        return;
      }
      this.#phase = 'relaying';
      this.#relayed = { resolve, reject };
      if (this.#upgraded !== undefined) this.#relayUpgrade(this.#upgraded);
      else this.#relayHead(extra);
    });
  }

  /** `HeldResponse.discard`: drops the held response, cancelling the endpoint's stream. */
  discardHeld(): void {
    if (this.#phase !== 'held') return;
    this.#phase = 'done';
    this.#attempt.exchange.res.off('close', this.#onClientClose);
    if (this.#upgraded !== undefined) {
      this.#upgraded.destroy();
      return;
    }
    this.#abortReason = new ResponseDiscarded();
    this.#abort?.(this.#abortReason);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#abortReason !== undefined) abort(this.#abortReason);
    else if (this.#body !== undefined) pipeBody(this.#attempt.exchange, this.#body);
  }

  /** The node:http sender's start (`forward-trailers.ts`): its own abort and resume. */
  onStart(upstream: Upstream): void {
    this.#abort = upstream.abort;
    this.#resume = upstream.resume;
    if (this.#abortReason !== undefined) upstream.abort(this.#abortReason);
    else if (this.#body !== undefined) pipeBody(this.#attempt.exchange, this.#body);
  }

  onHeaders(
    statusCode: number,
    rawHeaders: RawFields,
    resume: (() => void) | undefined,
    statusMessage?: string,
  ): boolean {
    if (this.#phase !== 'head') {
      this.#abort?.(this.#abortReason ?? new ClientGoneError());
      return false;
    }
    if (resume !== undefined) this.#resume = resume;
    this.#paused = true;
    this.#statusMessage = statusMessage;
    this.#hold(statusCode, rawHeaders);
    return false;
  }

  #relayHead(extra: Readonly<Record<string, string>> | undefined): void {
    const statusCode = this.#status;
    const raw = this.#rawHead;
    const statusMessage = this.#statusMessage;
    const { exchange } = this.#attempt;
    const clearContext = exchange.server.clearContext;
    try {
      const res = exchange.res;
      if (res instanceof ServerResponse) {
        // The raw field list straight through (filtered): no header object built or re-read.
        const close = this.#attempt.closeConnection;
        res.writeHead(
          statusCode,
          statusMessage ?? '',
          prepareRawResponseHeaders(raw, clearContext, extra, close),
        );
      } else {
        // HTTP/2 has no reason phrase, and takes lower-case names.
        const out: HeaderMap = prepareResponseHeaders(parseRawFields(raw), clearContext);
        if (extra !== undefined) Object.assign(out, extra);
        res.writeHead(statusCode, out as OutgoingHttpHeaders);
      }
    } catch (err) {
      // Node refused the endpoint's status or headers: the endpoint answered with something invalid.
      this.#fail(new UpstreamFailedError(this.#attempt.endpoint.key, err));
      return;
    }
    this.#responded = true;
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) for (const chunk of early) this.onData(chunk);
    if (this.#earlyEnd !== undefined) this.onComplete(this.#earlyEnd);
    else if (this.#phase === 'relaying') {
      if (this.#attempt.exchange.res.writableNeedDrain) this.#awaitDrain();
      else if (!this.#awaitingDrain) this.#resumeUpstream();
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.#phase === 'held') {
      if (this.#early === undefined) this.#early = [chunk];
      else this.#early.push(chunk);
      return false;
    }
    if (this.#phase !== 'relaying') return true;
    const res = this.#attempt.exchange.res;
    const out: { write(chunk: Buffer): boolean } = res;
    if (!out.write(chunk)) {
      this.#awaitDrain();
      return false;
    }
    return !this.#paused;
  }

  onComplete(rawTrailers: RawFields | null | undefined): void {
    if (this.#phase === 'held') {
      this.#earlyEnd = rawTrailers ?? null;
      return;
    }
    if (this.#phase !== 'relaying') return;
    const res = this.#attempt.exchange.res;
    // Trailers travel only on chunked responses (Node drops them otherwise, as HTTP requires).
    // One addTrailers call: each call replaces the trailers set by the previous one.
    if (rawTrailers != null && rawTrailers.length > 0) {
      const trailers = parseRawFields(rawTrailers);
      let out: Record<string, string | string[]> | undefined;
      const clearContext = this.#attempt.exchange.server.clearContext;
      for (const name in trailers) {
        const value = trailers[name];
        if (value !== undefined && !(clearContext && name.startsWith('l5d-'))) {
          out ??= {};
          out[name] = value;
        }
      }
      if (out !== undefined) res.addTrailers(out);
    }
    res.end();
    this.#finish(this.#status);
  }

  onError(error: Error): void {
    if (this.#phase === 'done') return;
    const err = this.#classify(error);
    this.#abortReason ??= err;
    if (this.#responded) this.#attempt.exchange.res.destroy();
    this.#finish(err);
  }

  /** Wraps the HTTP client's error in the router's typed error for what went wrong (see failure-origin.ts). */
  #classify(error: Error): Error {
    if (error instanceof RouterError || error instanceof ClientGoneError) return error;
    const key = this.#attempt.endpoint.key;
    if (this.#abort === undefined) {
      // undici validates the request before connecting: its argument errors mean nothing was sent.
      if (isRequestRejected(error)) return new UnforwardableRequestError(error);
      return new ConnectFailedError(key, error);
    }
    return new UpstreamFailedError(key, error, this.#responded);
  }

  onUpgrade(statusCode: number, rawHeaders: RawFields | null, upstream: Duplex): void {
    const client = this.#attempt.exchange.upgrade?.socket;
    if (this.#phase !== 'head' || client === undefined || client.destroyed) {
      upstream.destroy();
      return;
    }
    this.#upgraded = upstream;
    this.#hold(statusCode, rawHeaders ?? []);
  }

  /** Writes the endpoint's 101 on the client's socket and pipes the two sockets both ways. */
  #relayUpgrade(upstream: Duplex): void {
    const exchange = this.#attempt.exchange;
    const client = exchange.upgrade!.socket;
    if (client.destroyed) {
      upstream.destroy();
      this.#finish(new ClientGoneError());
      return;
    }
    const headers = parseRawFields(this.#rawHead);
    const protocol = headers.upgrade;
    const out = prepareResponseHeaders(headers, exchange.server.clearContext);
    out.connection = 'Upgrade';
    if (protocol !== undefined) out.upgrade = protocol;
    if (exchange.res instanceof ServerResponse) exchange.res.detachSocket(client as never);
    this.#responded = true;
    client.write(rawResponseHead(this.#status, 'Switching Protocols', out as OutgoingHttpHeaders));
    const head = exchange.upgrade!.head;
    if (head.length > 0) upstream.write(head);
    const teardown = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', teardown).on('close', teardown);
    client.on('error', teardown).on('close', teardown);
    upstream.pipe(client);
    client.pipe(upstream);
    this.#finish(this.#status);
  }
}

/** The abort reason of a response the caller discarded (to retry): never reported. */
class ResponseDiscarded extends Error {
  constructor() {
    super('response discarded');
  }
}

/** undici refused the request itself (invalid argument, unsupported header or method). */
function isRequestRejected(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED';
}

/**
 * Sends one attempt. Resolves when the response head arrives, with the body held back (see
 * `HeldResponse`): the caller relays or discards it. Rejects before that with a `RouterError`
 * (connect failure, reset, timeout, body too large) or `ClientGoneError`.
 */
export function forwardAttempt(attempt: Attempt): Promise<HeldResponse> {
  const { exchange, endpoint, head } = attempt;
  const headers = head.headers as HeaderMap;
  // A raw view goes to undici as the flat list it is (undici takes `[name, value, …]`).
  const raw = rawFieldsOf(headers);
  return new Promise<HeldResponse>((resolve, reject) => {
    let body: Dispatcher.DispatchOptions['body'] = null;
    let through: PassThrough | Transform | undefined;
    if (attempt.body.kind === 'buffered') body = attempt.body.data;
    else if (attempt.body.kind === 'stream') body = through = bodyThrough(attempt.body.maxBytes);
    const handler = new ProxyHandler(attempt, through, resolve, reject);
    const options: Dispatcher.DispatchOptions & { servername?: string } = {
      path: head.url,
      method: head.method as Dispatcher.HttpMethod,
      headers: raw !== undefined ? (raw as string[]) : headers,
      body,
    };
    // undici derives SNI from the request's Host unless told; TLS to endpoints uses the configured name.
    if (endpoint.servername !== undefined) options.servername = endpoint.servername;
    if (exchange.upgrade !== undefined) {
      const upgrade = exchange.req.headers.upgrade;
      (options as { upgrade?: string }).upgrade = typeof upgrade === 'string' ? upgrade : 'websocket';
    }
    const trailerNames =
      through !== undefined && exchange.upgrade === undefined ? announcedTrailers(exchange.req) : undefined;
    if (trailerNames !== undefined) {
      if (handler.clientGone) {
        handler.onError(new ClientGoneError());
        return;
      }
      const req = exchange.req;
      sendWithTrailers({
        endpoint,
        method: head.method,
        path: head.url,
        headers,
        trailerNames,
        body: through!,
        trailers: () => req.trailers as Record<string, string | undefined>,
        handler,
      });
      return;
    }
    if (handler.clientGone) {
      // Nobody is left to answer: never open a request upstream.
      handler.onError(new ClientGoneError());
      return;
    }
    try {
      endpoint.pool.dispatch(options, handler);
    } catch (err) {
      // Thrown before anything was sent: the request itself was refused.
      handler.onError(new UnforwardableRequestError(err));
    }
  });
}
