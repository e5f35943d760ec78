/**
 * Errors of the telemetry exporters. Exporters never throw at the request path: a batch that
 * cannot be delivered becomes one of these, published on the exporter's diagnostics channel and
 * counted, and the spans are dropped.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by `@switchyard/telemetry`. */
export type TelemetryErrorCode =
  | 'SY_ERR_TELEMETRY_ZIPKIN_EXPORT'
  | 'SY_ERR_TELEMETRY_OTLP_EXPORT'
  | 'SY_ERR_TELEMETRY_OTLP_DECODE'
  | 'SY_ERR_TELEMETRY_OPTIONS';

/** An error raised by `@switchyard/telemetry`; `code` says which. */
export class TelemetryError extends SwitchyardError<TelemetryErrorCode> {}
