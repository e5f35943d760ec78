/**
 * @packageDocumentation
 * `io.l5d.zipkin` (`@switchyard/telemetry/zipkin`): a batching Zipkin v2 JSON exporter over HTTP
 * with a bounded queue, and a tracer wired to it from the telemeter config.
 */
export type { ZipkinErrorEvent, ZipkinExporterOptions, ZipkinTelemeterConfig } from './zipkin.js';
export { createZipkinTracing, ZipkinExporter } from './zipkin.js';
