/**
 * Tracing as router layers: the request's `SERVER` span (outermost in the server stack) and a
 * `CLIENT` span per attempt (in the client stack, around dispatch), with W3C `traceparent`, B3
 * and `l5d-ctx-trace` propagation. The sampling decision comes first (head-based, following the
 * caller's flag): an unsampled request gets no span, no ids and no header copy — its headers,
 * the caller's trace context included, go upstream as they came, so the caller's decision
 * travels on. Typed over the router's stage values (`Inbound`, `Bound`), structurally.
 */
import { Path } from '@switchyard/dtab';
import {
  boundWithHeaders,
  inboundWithHeaders,
  type ObservedBound,
  type ObservedHeaders,
  type ObservedHeldResponse,
  type ObservedInbound,
  type ObservedRecord,
  type TelemetryClientLayer,
  type TelemetryServerLayer,
} from './observed.js';
import {
  extractTraceContext,
  injectTraceContext,
  type Span,
  type TracePropagationOptions,
  type Tracer,
} from './tracing/index.js';

/** Where the tracing layers keep the request's span for the attempt spans and other layers. */
const REQUEST_SPAN = 'switchyard.tracing.requestSpan';

/** Span tag carrying the request's `l5d-reqid`, when the router assigned one. */
export const REQUEST_ID_SPAN_TAG = 'l5d.request_id';

/**
 * The request's span the tracing layer started, from the exchange's (or context's) `locals`, for
 * layers that add tags of their own (e.g. which dtab override applied); `undefined` without
 * tracing or when the request is not sampled.
 */
export function requestSpanOf(locals: Record<string, unknown>): Span | undefined {
  return locals[REQUEST_SPAN] as Span | undefined;
}

/** The tracer's propagation options for each `clearContext`, built once per layer. */
function propagationOptions(tracer: Tracer): (clearContext: boolean) => TracePropagationOptions {
  const inject = tracer.propagation !== undefined ? { inject: tracer.propagation } : {};
  const clear: TracePropagationOptions = Object.freeze({ clearContext: true, ...inject });
  const keep: TracePropagationOptions = Object.freeze({ clearContext: false, ...inject });
  return (clearContext) => (clearContext ? clear : keep);
}

/**
 * Starts the request's span when the request is sampled (and keeps it in `locals`); returns the
 * headers to send upstream carrying it, or `undefined` for an unsampled request. `traceId`
 * receives the request's trace id: the span's, or for an unsampled request the caller's (none
 * when the caller sent no trace context: no id is made for an unsampled request).
 */
function startRequestSpan(
  tracer: Tracer,
  options: TracePropagationOptions,
  headers: ObservedHeaders,
  method: string,
  url: string,
  locals: Record<string, unknown>,
  traceId?: (id: string) => void,
): { readonly span: Span; readonly headers: ObservedHeaders } | undefined {
  const parent = extractTraceContext(headers, options);
  if (!tracer.shouldSample(parent)) {
    if (parent !== undefined) traceId?.(parent.traceId);
    return undefined;
  }
  const span = tracer.startSpan({
    name: method.toLowerCase(),
    kind: 'SERVER',
    sampled: true,
    ...(parent ? { parent } : {}),
  });
  span.setTag('http.method', method);
  span.setTag('http.path', url);
  locals[REQUEST_SPAN] = span;
  traceId?.(span.context.traceId);
  return { span, headers: injectTraceContext(headers, span.context, options) };
}

/** Ends the request span when the response closes, with what the router learned. */
function finishOnClose(
  span: Span,
  res: { readonly statusCode: number; once(event: 'close', listener: () => void): unknown },
  learned: () => Pick<ObservedRecord, 'dst' | 'service' | 'requestId'>,
): void {
  res.once('close', () => {
    span.setTag('http.status_code', res.statusCode);
    const { dst, service, requestId } = learned();
    const name = service ?? (dst ? Path.show(dst) : undefined);
    if (name !== undefined) span.setTag('l5d.service', name);
    if (requestId !== undefined) span.setTag(REQUEST_ID_SPAN_TAG, requestId);
    span.finish();
  });
}

/**
 * Runs one attempt of the typed client stack under a `CLIENT` span: the span ends when the held
 * response is relayed in full (tagged with its status) or discarded by the retry layer (an error
 * naming the retryable status), or when the attempt fails.
 */
async function heldAttemptSpan(
  tracer: Tracer,
  parent: Span,
  method: string,
  run: (span: Span) => Promise<ObservedHeldResponse>,
): Promise<ObservedHeldResponse> {
  const span = tracer.startSpan({ name: method.toLowerCase(), kind: 'CLIENT', parent: parent.context });
  let held: ObservedHeldResponse;
  try {
    held = await run(span);
  } catch (error) {
    failSpan(span, error);
    throw error;
  }
  return new SpannedResponse(held, span);
}

/** Ends `span` as failed with `error`'s code (or message). */
function failSpan(span: Span, error: unknown): void {
  span.setTag('error', String((error as { code?: unknown }).code ?? (error as Error).message));
  span.finish();
}

/**
 * The router's key of a held response's raw field list (`Symbol.for`, so no import of the
 * router): passed on, so the router's retry layer keeps reading single fields from the list.
 */
const ROUTER_RAW_FIELDS = Symbol.for('switchyard.router.rawFields');

/**
 * The attempt's held response with its span ended when it is relayed or discarded. `headers` is
 * read through: the router builds a response head's header object only when something reads it.
 */
class SpannedResponse implements ObservedHeldResponse {
  readonly #held: ObservedHeldResponse;
  readonly #span: Span;
  constructor(held: ObservedHeldResponse, span: Span) {
    this.#held = held;
    this.#span = span;
  }
  get status(): number {
    return this.#held.status;
  }
  get headers(): ObservedHeldResponse['headers'] {
    return this.#held.headers;
  }
  get [ROUTER_RAW_FIELDS](): unknown {
    return (this.#held as { readonly [ROUTER_RAW_FIELDS]?: unknown })[ROUTER_RAW_FIELDS];
  }
  async relay(extra?: Readonly<Record<string, string>>): Promise<number> {
    try {
      const status = await this.#held.relay(extra);
      this.#span.setTag('http.status_code', status);
      this.#span.finish();
      return status;
    } catch (error) {
      failSpan(this.#span, error);
      throw error;
    }
  }
  discard(): void {
    this.#held.discard();
    this.#span.setTag('error', `retryable response status ${this.#held.status}`);
    this.#span.finish();
  }
}

const TRACING_DESCRIPTION = 'Span per sampled request; W3C traceparent, B3 and l5d-ctx-trace propagation';
const ATTEMPT_DESCRIPTION = 'Span per attempt of a sampled request, child of the request span';

/**
 * The request's `SERVER` span, as a server-stack layer (put it outermost: it sees every final
 * status). Continues the caller's trace (W3C, B3 or `l5d-ctx-trace`) and propagates it upstream;
 * makes the trace id the request's `l5d-reqid` (`exchange.adoptTraceId`: the span's, or the
 * caller's for an unsampled request that came with one); tags the span with the service, status
 * and request id the router learned, when the response closes. `I` is the router's `Inbound`: `tracingServerLayer<Inbound>(tracer)` is a `ServerLayer`.
 */
export function tracingServerLayer<I extends ObservedInbound>(tracer: Tracer): TelemetryServerLayer<I> {
  const optionsFor = propagationOptions(tracer);
  return {
    kind: 'server',
    role: 'tracing',
    description: TRACING_DESCRIPTION,
    layer: (next) => (value) => {
      const { exchange, head } = value;
      // l5d-reqid becomes the trace id (Linkerd 1's client trace filter sent Trace.id.traceId).
      const started = startRequestSpan(
        tracer,
        optionsFor(exchange.server.clearContext),
        head.headers,
        head.method,
        head.url,
        exchange.locals,
        exchange.adoptTraceId === undefined ? undefined : (id) => exchange.adoptTraceId!(id),
      );
      if (started === undefined) return next(value);
      finishOnClose(started.span, exchange.res, () => exchange.record);
      return next(inboundWithHeaders(value, started.headers));
    },
  };
}

/**
 * A `CLIENT` span per attempt (retries and requeues each get one), child of the request span and
 * propagated upstream in its place, as a client-stack layer (around dispatch). Without a sampled
 * request span (`tracingServerLayer` outside it) it passes the attempt on untouched.
 */
export function attemptTracingClientLayer<B extends ObservedBound>(tracer: Tracer): TelemetryClientLayer<B> {
  const optionsFor = propagationOptions(tracer);
  return {
    kind: 'client',
    role: 'attemptTracing',
    description: ATTEMPT_DESCRIPTION,
    layer: (next) => (value) => {
      const request = value.identified.request;
      const exchange = request.exchange;
      const parent = requestSpanOf(exchange.locals);
      if (parent === undefined) return next(value);
      const options = optionsFor(exchange.server.clearContext);
      return heldAttemptSpan(tracer, parent, request.head.method, (span) =>
        next(boundWithHeaders(value, injectTraceContext(request.head.headers, span.context, options))),
      );
    },
  };
}
