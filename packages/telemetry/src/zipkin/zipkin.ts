/**
 * `io.l5d.zipkin` over HTTP: finished spans are queued by `export` (O(1), on the request path)
 * and POSTed as Zipkin v2 JSON arrays in batches, by a timer or when a batch fills, one request
 * at a time, through the batching queue the OTLP exporter shares (`batch-queue.ts`). The queue is
 * bounded: when the collector is slow or down, spans are dropped and counted rather than growing
 * memory. Connection failures, timeouts, 429, 502, 503 and 504 are retried with back-off (up to
 * `maxAttempts`, honouring `Retry-After`). Failures are published, never thrown at the router.
 */
import { channel } from 'node:diagnostics_channel';
import { request } from 'node:http';
import type { Clock, Random, Stats } from '@switchyard/core';
import {
  type BatchQueue,
  createBatchQueue,
  RETRYABLE_STATUS,
  retryAfterMs,
  type SendOutcome,
} from '../batch-queue.js';
import { TelemetryError } from '../errors.js';
import type { PropagationFormat } from '../tracing/trace-context.js';
import { createTracer, type SpanExporter, type Tracer, type ZipkinSpan } from '../tracing/tracer.js';

/** Options of {@link ZipkinExporter}. */
export interface ZipkinExporterOptions {
  /** Collector host. Default `localhost`. */
  readonly host?: string;
  /** Collector port. Default 9411 (Zipkin's HTTP port; Linkerd's Scribe transport used 9410). */
  readonly port?: number;
  /** Default `/api/v2/spans`. */
  readonly path?: string;
  /** Spans per POST. Default 100. */
  readonly batchSize?: number;
  /** Longest a span waits before being sent, ms. Default 1000. */
  readonly flushIntervalMs?: number;
  /** Spans held (queued and in flight); beyond this new spans are dropped. Default 10000. */
  readonly maxQueue?: number;
  /** Per-request timeout, ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Tries per batch, the first included (no connection, timeout, 429, 502, 503, 504). Default 5. */
  readonly maxAttempts?: number;
  /** First back-off, ms; doubles per retry, with full jitter. Default 1000. */
  readonly initialBackoffMs?: number;
  /** Longest back-off (and longest `Retry-After` honoured), ms. Default 30000. */
  readonly maxBackoffMs?: number;
  /** Counts `spans_sent`, `spans_dropped`, `export_failures`, `export_retries` under this scope. */
  readonly stats?: Stats;
  readonly clock?: Clock;
  /** Jitter. Default `Math.random`. */
  readonly random?: Random;
}

/** Published on `switchyard:telemetry:zipkin-error` when a batch is dropped or retried. */
export interface ZipkinErrorEvent {
  readonly error: TelemetryError;
  readonly spans: number;
  /** True when the batch will be tried again. */
  readonly retrying: boolean;
}

const errorChannel = channel('switchyard:telemetry:zipkin-error');

/** Batches spans to a Zipkin collector. Call `close()` to flush and stop. */
export class ZipkinExporter implements SpanExporter {
  readonly #host: string;
  readonly #port: number;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #queue: BatchQueue<ZipkinSpan>;

  constructor(options: ZipkinExporterOptions = {}) {
    this.#host = options.host ?? 'localhost';
    this.#port = options.port ?? 9411;
    this.#path = options.path ?? '/api/v2/spans';
    this.#timeoutMs = options.requestTimeoutMs ?? 5000;
    this.#queue = createBatchQueue<ZipkinSpan, string>({
      encode: (batch) => JSON.stringify(batch),
      send: (body) => this.#post(body),
      onFailure: (reason, spans, retrying) => this.#publish(reason, spans, retrying),
      batchSize: options.batchSize ?? 100,
      flushIntervalMs: options.flushIntervalMs,
      maxQueue: options.maxQueue ?? 10_000,
      // Retry and timing defaults are the queue's (BATCH_QUEUE_DEFAULTS).
      maxAttempts: options.maxAttempts,
      initialBackoffMs: options.initialBackoffMs,
      maxBackoffMs: options.maxBackoffMs,
      stats: options.stats,
      clock: options.clock,
      random: options.random,
    });
  }

  /** Spans waiting to be sent (not yet taken into a batch). */
  get queued(): number {
    return this.#queue.queued;
  }

  /** Spans held: queued plus the batch being sent or waiting to be retried. Never above `maxQueue`. */
  get held(): number {
    return this.#queue.held;
  }

  /** Enqueues a finished span. Never blocks, never throws. */
  export(span: ZipkinSpan): void {
    this.#queue.add(span);
  }

  /** Sends everything queued now (in batches, one POST at a time, retrying). Resolves when done. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Stops retrying, tries what is held once more, then drops any later span. */
  close(): Promise<void> {
    return this.#queue.close();
  }

  #post(body: string): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve) => {
      const req = request(
        {
          host: this.#host,
          port: this.#port,
          path: this.#path,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.#timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve({ kind: 'ok', rejected: 0 });
            const reason = `collector answered ${status}`;
            if (!RETRYABLE_STATUS.has(status)) return resolve({ kind: 'fail', reason });
            const after = retryAfterMs(first(res.headers['retry-after']));
            resolve(
              after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs: after },
            );
          });
          res.on('error', (err) => resolve({ kind: 'retry', reason: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (err) => resolve({ kind: 'retry', reason: err.message }));
      req.end(body);
    });
  }

  #publish(reason: string, spans: number, retrying: boolean): void {
    if (!errorChannel.hasSubscribers) return;
    const error = new TelemetryError(
      'SY_ERR_TELEMETRY_ZIPKIN_EXPORT',
      `zipkin export to http://${this.#host}:${this.#port}${this.#path} failed: ${reason}${
        retrying ? ' (will retry)' : ` (${spans} spans dropped)`
      }`,
    );
    errorChannel.publish({ error, spans, retrying } satisfies ZipkinErrorEvent);
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The `io.l5d.zipkin` telemeter config (Linkerd 1 names; HTTP transport). */
export interface ZipkinTelemeterConfig {
  readonly kind: 'io.l5d.zipkin';
  readonly host?: string;
  readonly port?: number;
  /** Default 0.001, as in Linkerd. */
  readonly sampleRate?: number;
  readonly serviceName?: string;
  /** Formats written upstream. Default W3C, B3 and `l5d-ctx-trace` (Linkerd 1 wrote the last two). */
  readonly propagation?: readonly PropagationFormat[];
}

/**
 * Builds a tracer that exports to Zipkin from an `io.l5d.zipkin` config. Close the exporter on
 * shutdown to flush the last spans.
 */
export function createZipkinTracing(
  config: ZipkinTelemeterConfig,
  deps: { readonly clock?: Clock; readonly random?: Random; readonly stats?: Stats } = {},
): { readonly tracer: Tracer; readonly exporter: ZipkinExporter } {
  const exporter = new ZipkinExporter({
    ...(config.host !== undefined ? { host: config.host } : {}),
    ...(config.port !== undefined ? { port: config.port } : {}),
    ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    ...(deps.stats !== undefined ? { stats: deps.stats.scope('zipkin') } : {}),
  });
  const tracer = createTracer({
    sampleRate: config.sampleRate ?? 0.001,
    exporter,
    ...(config.propagation !== undefined ? { propagation: config.propagation } : {}),
    ...(config.serviceName !== undefined ? { serviceName: config.serviceName } : {}),
    ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    ...(deps.random !== undefined ? { random: deps.random } : {}),
  });
  return { tracer, exporter };
}
