/**
 * Spans: one per request (`SERVER`) and one per attempt (`CLIENT`, a child of the request span),
 * sampled at the trace root by `sampleRate` and then following the caller's decision (head-based,
 * parent-based sampling). Finished sampled spans go to an exporter that only enqueues, so tracing
 * costs the request path a few object allocations and no I/O. `shouldSample` decides before any
 * span exists, so the request layers make no span, ids or tag map for an unsampled request;
 * `startSpan` on an unsampled decision still returns a span with ids, for callers that propagate
 * their own context.
 */
import { type Clock, type Random, systemClock } from '@switchyard/core';
import type { PropagationFormat, TraceContext } from './trace-context.js';

/** An endpoint in Zipkin v2 JSON. */
export interface ZipkinEndpoint {
  readonly serviceName?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly port?: number;
}

/** A finished span in Zipkin v2 JSON (`POST /api/v2/spans` takes an array of these). Times in µs. */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly timestamp: number;
  readonly duration: number;
  readonly localEndpoint: ZipkinEndpoint;
  readonly remoteEndpoint?: ZipkinEndpoint;
  readonly tags: Readonly<Record<string, string>>;
  readonly annotations: readonly { readonly timestamp: number; readonly value: string }[];
  readonly debug?: boolean;
}

/** Where finished sampled spans go. `export` must not block: enqueue and return. */
export interface SpanExporter {
  export(span: ZipkinSpan): void;
}

/** `SERVER` for the request a router received, `CLIENT` for each attempt it makes. */
export type SpanKind = 'SERVER' | 'CLIENT';

/** A span in progress. */
export interface Span {
  /** This span's ids and sampling decision; inject it into the outgoing request. */
  readonly context: TraceContext;
  readonly sampled: boolean;
  /** Adds a tag (`http.method`, `http.status_code`, `l5d.service`, …). No-op when not sampled. */
  setTag(key: string, value: string | number | boolean): void;
  /** Adds a timestamped annotation. */
  annotate(value: string): void;
  /** Sets the peer (the endpoint an attempt went to). */
  setRemoteEndpoint(endpoint: ZipkinEndpoint): void;
  /** Ends the span and hands it to the exporter (once; later calls are ignored). */
  finish(): void;
}

/** Options of {@link createTracer}. */
export interface TracerOptions {
  /** Fraction of new traces to sample, in [0, 1]. Linkerd's default is 0.001. */
  readonly sampleRate?: number;
  /** Zipkin's `localEndpoint.serviceName`. Default `switchyard`. */
  readonly serviceName?: string;
  readonly exporter?: SpanExporter;
  /** The formats the request-telemetry layers write upstream. Default: every format but `b3-single`. */
  readonly propagation?: readonly PropagationFormat[];
  readonly clock?: Clock;
  readonly random?: Random;
}

/** Options of {@link Tracer.startSpan}. */
export interface StartSpanOptions {
  readonly name: string;
  readonly kind: SpanKind;
  /** The caller's context (from `extractTraceContext`) or the parent span's. */
  readonly parent?: TraceContext;
  /** Overrides the tracer's rate for a new trace (Linkerd's `l5d-sample` header). */
  readonly sampleRate?: number;
  /** A decision already made (by `Tracer.shouldSample`): skips the tracer's own. */
  readonly sampled?: boolean;
  readonly localEndpoint?: ZipkinEndpoint;
}

/** Creates spans. */
export interface Tracer {
  startSpan(options: StartSpanOptions): Span;
  /**
   * The sampling decision for a span whose parent is `parent`: the parent's when it made one
   * (always sampled when it is a debug context), else `sampleRate` (default the tracer's) for a
   * new trace. Draws one random number only for a new trace.
   */
  shouldSample(parent?: TraceContext, sampleRate?: number): boolean;
  /** The formats to inject (`TracerOptions.propagation`); `undefined` means the default set. */
  readonly propagation?: readonly PropagationFormat[];
}

/** 16 lower-case hex digits, never all zero. */
function randomId(random: Random): string {
  for (;;) {
    const hi = Math.floor(random() * 0x100000000);
    const lo = Math.floor(random() * 0x100000000);
    if (hi !== 0 || lo !== 0) return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }
}

function noop(): void {}

/** The methods of every unsampled span: all no-ops, shared. */
const UNSAMPLED_METHODS = Object.freeze({
  sampled: false as const,
  setTag: noop,
  annotate: noop,
  setRemoteEndpoint: noop,
  finish: noop,
});

/** A span that records nothing: one small object per span, its methods shared. */
function unsampledSpan(context: TraceContext): Span {
  return { ...UNSAMPLED_METHODS, context };
}

/** Creates a {@link Tracer}. Ids and sampling use the injected `random`; times the injected `clock`. */
export function createTracer(options: TracerOptions = {}): Tracer {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const rate = Math.min(1, Math.max(0, options.sampleRate ?? 0.001));
  const serviceName = options.serviceName ?? 'switchyard';
  const exporter = options.exporter;

  const propagation = options.propagation === undefined ? undefined : Object.freeze([...options.propagation]);
  const shouldSample = (parent?: TraceContext, sampleRate?: number): boolean => {
    if (parent?.debug === true) return true;
    if (parent?.sampled !== undefined) return parent.sampled;
    const r = sampleRate === undefined ? rate : Math.min(1, Math.max(0, sampleRate));
    return r >= 1 || (r > 0 && random() < r);
  };
  return {
    ...(propagation !== undefined ? { propagation } : {}),
    shouldSample,
    startSpan(o: StartSpanOptions): Span {
      const parent = o.parent;
      const debug = parent?.debug === true;
      const sampled = debug || (o.sampled ?? shouldSample(parent, o.sampleRate));
      const context: TraceContext = {
        traceId: parent?.traceId ?? randomId(random) + randomId(random),
        spanId: randomId(random),
        ...(parent !== undefined ? { parentSpanId: parent.spanId } : {}),
        sampled,
        ...(debug ? { debug } : {}),
        ...(parent?.tracestate !== undefined ? { tracestate: parent.tracestate } : {}),
      };
      // Unsampled spans only carry ids for propagation: no clock reads, tags or closures.
      if (!sampled) return unsampledSpan(context);
      const startUs = clock.now() * 1000;
      const startNs = clock.nanoTime();
      const tags: Record<string, string> = {};
      const annotations: { timestamp: number; value: string }[] = [];
      let remote: ZipkinEndpoint | undefined;
      let done = false;
      return {
        context,
        sampled,
        setTag(key, value) {
          tags[key] = String(value);
        },
        annotate(value) {
          const elapsedUs = Number((clock.nanoTime() - startNs) / 1000n);
          annotations.push({ timestamp: Math.round(startUs + elapsedUs), value });
        },
        setRemoteEndpoint(endpoint) {
          remote = endpoint;
        },
        finish() {
          if (done) return;
          done = true;
          if (exporter === undefined) return;
          const duration = Math.max(1, Number((clock.nanoTime() - startNs) / 1000n));
          exporter.export({
            traceId: context.traceId,
            id: context.spanId,
            ...(context.parentSpanId !== undefined ? { parentId: context.parentSpanId } : {}),
            name: o.name,
            kind: o.kind,
            timestamp: Math.round(startUs),
            duration,
            localEndpoint: o.localEndpoint ?? { serviceName },
            ...(remote !== undefined ? { remoteEndpoint: remote } : {}),
            tags,
            annotations,
            ...(debug ? { debug } : {}),
          });
        },
      };
    },
  };
}
