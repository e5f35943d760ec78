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
import type { Clock, Random, Stats } from '@switchyard/core';
import {
  type BatchQueue,
  createBatchQueue,
  RETRYABLE_STATUS,
  retryAfterMs,
  type SendOutcome,
} from '../batch-queue.js';
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
  readonly #timeoutMs: number;
  readonly #queue: BatchQueue<ZipkinSpan>;

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
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#queue = createBatchQueue<ZipkinSpan, string | Uint8Array>({
      encode: (batch) => {
        const request = encodeOtlpTraces(batch, this.#resource);
        return this.#encoding === 'protobuf' ? encodeOtlpProtobuf(request) : JSON.stringify(request);
      },
      send: (body) => this.#post(body),
      onFailure: (reason, spans, retrying) => this.#publish(reason, spans, retrying),
      batchSize: options.batchSize ?? 512,
      flushIntervalMs: options.flushIntervalMs,
      maxQueue: options.maxQueue ?? 2048,
      // Retry and timing defaults are the queue's (BATCH_QUEUE_DEFAULTS).
      maxAttempts: options.maxAttempts,
      initialBackoffMs: options.initialBackoffMs,
      maxBackoffMs: options.maxBackoffMs,
      stats: options.stats,
      clock: options.clock,
      random: options.random,
    });
  }

  /** Spans held: queued plus the batch being sent or waiting to be retried. Never above `maxQueue`. */
  get held(): number {
    return this.#queue.held;
  }

  /** Enqueues a finished span. Never blocks, never throws. */
  export(span: ZipkinSpan): void {
    this.#queue.add(span);
  }

  /** Sends everything queued now (in batches, one request at a time, retrying). Resolves when done. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Stops retrying, tries what is held once more, then drops any later span. */
  close(): Promise<void> {
    return this.#queue.close();
  }

  async #post(body: string | Uint8Array): Promise<SendOutcome> {
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
