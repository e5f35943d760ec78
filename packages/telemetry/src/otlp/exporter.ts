/**
 * `io.l5d.otlp`: finished spans POSTed to an OpenTelemetry collector as OTLP/HTTP, in protobuf
 * (`application/x-protobuf`, the OTLP exporter default) or JSON (`application/json`). `export`
 * is O(1) on the request path (a push onto a bounded queue); batches go out by a timer or when a
 * batch fills, one request at a time. A collector outage never blocks requests and never grows
 * memory past `maxQueue` spans: retryable failures (no connection, timeout, 429, 502, 503, 504) are
 * retried with exponential back-off and jitter (honouring `Retry-After`), spans arriving
 * meanwhile queue up to the bound and are dropped and counted beyond it, and a batch is dropped
 * after `maxAttempts`. Failures are published, never thrown at the router.
 */
import { channel } from 'node:diagnostics_channel';
import {
  type Clock,
  type Counter,
  type Random,
  type Stats,
  systemClock,
  type TimerHandle,
} from '@switchyard/core';
import { TelemetryError } from '../errors.js';
import type { SpanExporter, ZipkinSpan } from '../tracing/tracer.js';
import { encodeOtlpTraces, type OtlpAttribute } from './encode.js';
import { encodeOtlpProtobuf, rejectedSpansOf } from './protobuf.js';

/** OTLP/HTTP body encodings: `http/protobuf` and `http/json` in the OpenTelemetry SDK's terms. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Every {@link OtlpEncoding}, the default first. */
export const OTLP_ENCODINGS: readonly OtlpEncoding[] = Object.freeze(['protobuf', 'json']);

/** Options of {@link OtlpExporter}. */
export interface OtlpExporterOptions {
  /** The collector's traces URL. Default `http://localhost:4318/v1/traces` (OTLP/HTTP's port). */
  readonly endpoint?: string;
  /**
   * Body encoding. Default `protobuf`: the OTLP exporter specification's default protocol
   * (`http/protobuf`), which every collector accepts; `json` is optional for collectors.
   */
  readonly encoding?: OtlpEncoding;
  /** Extra request headers (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The resource attributes (see `otlpResource`). Default `service.name=switchyard`. */
  readonly resource?: readonly OtlpAttribute[];
  /** Spans per request. Default 512 (the OpenTelemetry SDK's). */
  readonly batchSize?: number;
  /** Longest a span waits before being sent, ms. Default 1000. */
  readonly flushIntervalMs?: number;
  /** Spans held (queued and in flight); beyond this new spans are dropped. Default 2048. */
  readonly maxQueue?: number;
  /** Per-request timeout, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Tries per batch, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** First back-off, ms; doubles per retry, with full jitter. Default 1000. */
  readonly initialBackoffMs?: number;
  /** Longest back-off (and longest `Retry-After` honoured), ms. Default 30000. */
  readonly maxBackoffMs?: number;
  /** Counts `spans_sent`, `spans_dropped`, `export_failures`, `export_retries`. */
  readonly stats?: Stats;
  readonly clock?: Clock;
  /** Jitter. Default `Math.random`. */
  readonly random?: Random;
}

/** Published on `switchyard:telemetry:otlp-error` when a batch is dropped or retried. */
export interface OtlpErrorEvent {
  readonly error: TelemetryError;
  readonly spans: number;
  /** True when the batch will be tried again. */
  readonly retrying: boolean;
}

const errorChannel = channel('switchyard:telemetry:otlp-error');

/** What one POST came to. */
type Outcome =
  | { readonly kind: 'ok'; readonly rejected: number }
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  | { readonly kind: 'fail'; readonly reason: string };

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** `Retry-After` in seconds (the HTTP-date form is rare from collectors and ignored). */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/**
 * `partialSuccess.rejectedSpans` of a 2xx answer, in the encoding the collector answered with
 * (it answers in the request's). An empty or unreadable body is a full success.
 */
function rejectedOf(contentType: string | null, body: Uint8Array): number {
  if (body.length === 0) return 0;
  if (contentType?.includes('protobuf')) return rejectedSpansOf(body);
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
      partialSuccess?: { rejectedSpans?: number | string };
    };
    return Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0;
  } catch {
    return 0;
  }
}

/** Batches spans to an OTLP/HTTP collector. Call `close()` to flush and stop. */
export class OtlpExporter implements SpanExporter {
  readonly #endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #encoding: OtlpEncoding;
  readonly #resource: readonly OtlpAttribute[];
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #sent: Counter | undefined;
  readonly #dropped: Counter | undefined;
  readonly #failures: Counter | undefined;
  readonly #retries: Counter | undefined;
  #queue: ZipkinSpan[] = [];
  /** Spans taken from the queue and not yet delivered or dropped (counted against `maxQueue`). */
  #inFlightSpans = 0;
  #timer: TimerHandle | undefined;
  #pump: Promise<void> | undefined;
  /** Resolves a back-off wait early (on `close`). */
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(options: OtlpExporterOptions = {}) {
    const endpoint = options.endpoint ?? 'http://localhost:4318/v1/traces';
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (cause) {
      throw new TelemetryError('SY_ERR_TELEMETRY_OPTIONS', `endpoint: "${endpoint}" is not a URL`, { cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TelemetryError('SY_ERR_TELEMETRY_OPTIONS', `endpoint: "${endpoint}" is not an http(s) URL`);
    this.#endpoint = url.href;
    this.#encoding = options.encoding ?? 'protobuf';
    if (!OTLP_ENCODINGS.includes(this.#encoding))
      throw new TelemetryError(
        'SY_ERR_TELEMETRY_OPTIONS',
        `encoding: expected one of ${OTLP_ENCODINGS.map((e) => `"${e}"`).join(', ')}, got "${String(this.#encoding)}"`,
      );
    this.#headers = {
      ...options.headers,
      'content-type': this.#encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    };
    this.#resource = options.resource ?? [{ key: 'service.name', value: { stringValue: 'switchyard' } }];
    this.#batchSize = Math.max(1, options.batchSize ?? 512);
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#maxQueue = Math.max(this.#batchSize, options.maxQueue ?? 2048);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = Math.max(this.#initialBackoffMs, options.maxBackoffMs ?? 30_000);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#sent = options.stats?.counter('spans_sent');
    this.#dropped = options.stats?.counter('spans_dropped');
    this.#failures = options.stats?.counter('export_failures');
    this.#retries = options.stats?.counter('export_retries');
  }

  /** Spans held: queued plus the batch being sent or waiting to be retried. Never above `maxQueue`. */
  get held(): number {
    return this.#queue.length + this.#inFlightSpans;
  }

  /** Enqueues a finished span. Never blocks, never throws. */
  export(span: ZipkinSpan): void {
    if (this.#closed || this.held >= this.#maxQueue) {
      this.#dropped?.incr();
      return;
    }
    this.#queue.push(span);
    if (this.#pump !== undefined) return; // the running pump takes it
    if (this.#queue.length >= this.#batchSize) this.#schedule(0);
    else this.#schedule(this.#flushIntervalMs);
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) {
      if (ms > 0) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, ms);
  }

  /** Sends everything queued now (in batches, one request at a time, retrying). Resolves when done. */
  flush(): Promise<void> {
    this.#pump ??= this.#drain().finally(() => {
      this.#pump = undefined;
      if (this.#queue.length > 0 && !this.#closed) this.#schedule(this.#flushIntervalMs);
    });
    return this.#pump;
  }

  /** Stops retrying, tries what is held once more, then drops any later span. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    await this.#pump;
    await this.flush();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
      this.#inFlightSpans = batch.length;
      try {
        await this.#deliver(batch);
      } finally {
        this.#inFlightSpans = 0;
      }
    }
  }

  async #deliver(batch: ZipkinSpan[]): Promise<void> {
    const request = encodeOtlpTraces(batch, this.#resource);
    const body = this.#encoding === 'protobuf' ? encodeOtlpProtobuf(request) : JSON.stringify(request);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#post(body);
      if (outcome.kind === 'ok') {
        this.#sent?.incr(batch.length - outcome.rejected);
        if (outcome.rejected > 0) this.#dropped?.incr(outcome.rejected);
        return;
      }
      this.#failures?.incr();
      const retrying = outcome.kind === 'retry' && attempt < this.#maxAttempts && !this.#closed;
      this.#publish(outcome.reason, batch.length, retrying);
      if (!retrying) {
        this.#dropped?.incr(batch.length);
        return;
      }
      this.#retries?.incr();
      const ceiling = Math.min(this.#maxBackoffMs, this.#initialBackoffMs * 2 ** (attempt - 1));
      const wait = Math.min(this.#maxBackoffMs, outcome.afterMs ?? Math.round(this.#random() * ceiling));
      await this.#sleep(wait);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        this.#clock.clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #post(body: string | Uint8Array): Promise<Outcome> {
    let res: Response;
    try {
      res = await fetch(this.#endpoint, {
        method: 'POST',
        headers: this.#headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${this.#timeoutMs} ms`
          : (e.cause?.message ?? e.message);
      return { kind: 'retry', reason: why };
    }
    let answer = new Uint8Array(0);
    try {
      answer = new Uint8Array(await res.arrayBuffer());
    } catch {
      // The status decides; a body cut short only loses the partial-success count.
    }
    if (res.ok) return { kind: 'ok', rejected: rejectedOf(res.headers.get('content-type'), answer) };
    const reason = `collector answered ${res.status}`;
    if (!RETRYABLE_STATUS.has(res.status)) return { kind: 'fail', reason };
    const after = retryAfterMs(res.headers.get('retry-after'));
    return after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs: after };
  }

  #publish(reason: string, spans: number, retrying: boolean): void {
    if (!errorChannel.hasSubscribers) return;
    const error = new TelemetryError(
      'SY_ERR_TELEMETRY_OTLP_EXPORT',
      `otlp export to ${this.#endpoint} failed: ${reason}${retrying ? ' (will retry)' : ` (${spans} spans dropped)`}`,
    );
    errorChannel.publish({ error, spans, retrying } satisfies OtlpErrorEvent);
  }
}
