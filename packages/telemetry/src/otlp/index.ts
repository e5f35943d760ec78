/**
 * @packageDocumentation
 * `io.l5d.otlp` (`@switchyard/telemetry/otlp`): spans exported to an OpenTelemetry collector as
 * OTLP/HTTP protobuf (the default) or JSON, batched off the request path with a bounded queue and retries with back-off;
 * resource attributes from the config, `OTEL_SERVICE_NAME`/`OTEL_RESOURCE_ATTRIBUTES` and the
 * pod's downward-API variables.
 */
export type { OtlpAttribute, OtlpSpan, OtlpTraceRequest, OtlpValue } from './encode.js';
export { encodeOtlpTraces, OTLP_SCOPE, toOtlpSpan } from './encode.js';
export type { OtlpEncoding, OtlpErrorEvent, OtlpExporterOptions } from './exporter.js';
export { OTLP_ENCODINGS, OtlpExporter } from './exporter.js';
export { decodeOtlpProtobuf, encodeOtlpProtobuf } from './protobuf.js';
export type { OtlpResourceOptions } from './resource.js';
export { DOWNWARD_API_ENV, otlpResource } from './resource.js';
export type { OtlpTelemeterConfig } from './tracing.js';
export { createOtlpTracing } from './tracing.js';
