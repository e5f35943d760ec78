/**
 * The `io.l5d.otlp` telemeter: a tracer whose sampled spans go to an {@link OtlpExporter}, with
 * the resource read from the config and the environment.
 */
import type { Clock, Random, Stats } from '@switchyard/core';
import type { PropagationFormat } from '../tracing/trace-context.js';
import { createTracer, type Tracer } from '../tracing/tracer.js';
import { type OtlpEncoding, OtlpExporter } from './exporter.js';
import { otlpResource } from './resource.js';

/** The `io.l5d.otlp` telemeter config. */
export interface OtlpTelemeterConfig {
  readonly kind: 'io.l5d.otlp';
  /** Default `http://localhost:4318/v1/traces`. */
  readonly endpoint?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Body encoding. Default `protobuf` (`application/x-protobuf`); `json` for `application/json`. */
  readonly encoding?: OtlpEncoding;
  /** Fraction of new traces sampled. Default 0.001, as `io.l5d.zipkin`. */
  readonly sampleRate?: number;
  /** `service.name`. Default `OTEL_SERVICE_NAME`, else `switchyard`. */
  readonly serviceName?: string;
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Formats written upstream. Default `['w3c']` (traceparent and tracestate only). */
  readonly propagation?: readonly PropagationFormat[];
  readonly batchSize?: number;
  readonly flushIntervalMs?: number;
  readonly maxQueue?: number;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

/**
 * Builds a tracer that exports to an OTLP/HTTP collector. Close the exporter on shutdown to
 * flush the last spans.
 */
export function createOtlpTracing(
  config: OtlpTelemeterConfig,
  deps: {
    readonly clock?: Clock;
    readonly random?: Random;
    readonly stats?: Stats;
    readonly env?: Readonly<Record<string, string | undefined>>;
  } = {},
): { readonly tracer: Tracer; readonly exporter: OtlpExporter } {
  const resource = otlpResource({
    ...(config.serviceName !== undefined ? { serviceName: config.serviceName } : {}),
    ...(config.resourceAttributes !== undefined ? { attributes: config.resourceAttributes } : {}),
    ...(deps.env !== undefined ? { env: deps.env } : {}),
  });
  const exporter = new OtlpExporter({
    resource,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.headers !== undefined ? { headers: config.headers } : {}),
    ...(config.encoding !== undefined ? { encoding: config.encoding } : {}),
    ...(config.batchSize !== undefined ? { batchSize: config.batchSize } : {}),
    ...(config.flushIntervalMs !== undefined ? { flushIntervalMs: config.flushIntervalMs } : {}),
    ...(config.maxQueue !== undefined ? { maxQueue: config.maxQueue } : {}),
    ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.maxAttempts !== undefined ? { maxAttempts: config.maxAttempts } : {}),
    ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    ...(deps.random !== undefined ? { random: deps.random } : {}),
    ...(deps.stats !== undefined ? { stats: deps.stats.scope('otlp') } : {}),
  });
  const serviceName = resource.find((a) => a.key === 'service.name')?.value;
  const tracer = createTracer({
    sampleRate: config.sampleRate ?? 0.001,
    exporter,
    propagation: config.propagation ?? ['w3c'],
    ...(serviceName !== undefined && 'stringValue' in serviceName
      ? { serviceName: serviceName.stringValue }
      : {}),
    ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    ...(deps.random !== undefined ? { random: deps.random } : {}),
  });
  return { tracer, exporter };
}
