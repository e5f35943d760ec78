/**
 * `io.l5d.zipkin` over HTTP: finished spans are queued by `export` (O(1), on the request path)
 * and POSTed as Zipkin v2 JSON arrays in batches, by a timer or when a batch fills, one request
 * at a time. The queue is bounded: when the collector is slow or down, spans are dropped and
 * counted rather than growing memory. Failures are published, never thrown at the router.
 */
import { channel } from 'node:diagnostics_channel';
import { request } from 'node:http';
import {
  type Clock,
  type Counter,
  type Random,
  type Stats,
  systemClock,
  type TimerHandle,
} from '@switchyard/core';
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
  /** Spans kept while the collector is busy; beyond this new spans are dropped. Default 10000. */
  readonly maxQueue?: number;
  /** Per-request timeout, ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Counts `spans_sent`, `spans_dropped`, `export_failures` under this scope. */
  readonly stats?: Stats;
  readonly clock?: Clock;
}

/** Published on `switchyard:telemetry:zipkin-error` when a batch could not be delivered. */
export interface ZipkinErrorEvent {
  readonly error: TelemetryError;
  readonly spans: number;
}

const errorChannel = channel('switchyard:telemetry:zipkin-error');

/** Batches spans to a Zipkin collector. Call `close()` to flush and stop. */
export class ZipkinExporter implements SpanExporter {
  readonly #host: string;
  readonly #port: number;
  readonly #path: string;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #sent: Counter | undefined;
  readonly #dropped: Counter | undefined;
  readonly #failures: Counter | undefined;
  #queue: ZipkinSpan[] = [];
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  constructor(options: ZipkinExporterOptions = {}) {
    this.#host = options.host ?? 'localhost';
    this.#port = options.port ?? 9411;
    this.#path = options.path ?? '/api/v2/spans';
    this.#batchSize = Math.max(1, options.batchSize ?? 100);
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#maxQueue = Math.max(this.#batchSize, options.maxQueue ?? 10_000);
    this.#timeoutMs = options.requestTimeoutMs ?? 5000;
    this.#clock = options.clock ?? systemClock;
    this.#sent = options.stats?.counter('spans_sent');
    this.#dropped = options.stats?.counter('spans_dropped');
    this.#failures = options.stats?.counter('export_failures');
  }

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Enqueues a finished span. Never blocks, never throws. */
  export(span: ZipkinSpan): void {
    if (this.#closed || this.#queue.length >= this.#maxQueue) {
      this.#dropped?.incr();
      return;
    }
    this.#queue.push(span);
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

  /** Sends everything queued now (in batches, one POST at a time). Resolves when done. */
  async flush(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
      this.#inFlight = this.#post(batch);
      try {
        await this.#inFlight;
      } finally {
        this.#inFlight = undefined;
      }
    }
  }

  /** Flushes what is queued, then drops any later span. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #post(batch: ZipkinSpan[]): Promise<void> {
    const body = JSON.stringify(batch);
    try {
      await new Promise<void>((resolve, reject) => {
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
              if (status >= 200 && status < 300) resolve();
              else reject(new Error(`collector answered ${status}`));
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      });
      this.#sent?.incr(batch.length);
    } catch (err) {
      this.#failures?.incr();
      this.#dropped?.incr(batch.length);
      if (errorChannel.hasSubscribers) {
        const error = new TelemetryError(
          'SY_ERR_TELEMETRY_ZIPKIN_EXPORT',
          `zipkin export to http://${this.#host}:${this.#port}${this.#path} failed: ${(err as Error).message}`,
          { cause: err },
        );
        errorChannel.publish({ error, spans: batch.length } satisfies ZipkinErrorEvent);
      }
    }
  }
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
