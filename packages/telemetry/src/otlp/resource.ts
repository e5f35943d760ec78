/**
 * The OTLP resource: which process the spans come from. Read once at start-up from the config and
 * the environment — `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` as every OpenTelemetry SDK
 * reads them, and the pod's identity from variables a Kubernetes pod spec sets with the downward
 * API (`POD_NAME`, `POD_NAMESPACE`, `NODE_NAME`).
 */
import type { OtlpAttribute } from './encode.js';

/** Environment variables → resource attributes, from the downward API. */
export const DOWNWARD_API_ENV: Readonly<Record<string, string>> = Object.freeze({
  POD_NAME: 'k8s.pod.name',
  POD_NAMESPACE: 'k8s.namespace.name',
  NODE_NAME: 'k8s.node.name',
});

/** Options of {@link otlpResource}. */
export interface OtlpResourceOptions {
  /** `service.name`; overrides `OTEL_SERVICE_NAME`. Default `switchyard`. */
  readonly serviceName?: string;
  /** More attributes; override the environment's. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** `key1=value1,key2=value2` with percent-encoded values (the OpenTelemetry SDK environment spec). */
function parseResourceAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // The spec says to discard an attribute that does not decode, not the whole list.
    }
  }
  return out;
}

/**
 * The resource attributes, later sources winning: downward-API variables, then
 * `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`, then the options. `service.name` is always
 * present; keys are sorted so the output is stable.
 */
export function otlpResource(options: OtlpResourceOptions = {}): readonly OtlpAttribute[] {
  const env = options.env ?? process.env;
  const attrs: Record<string, string> = {};
  for (const [name, key] of Object.entries(DOWNWARD_API_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') attrs[key] = value;
  }
  Object.assign(attrs, parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? ''));
  if (env.OTEL_SERVICE_NAME) attrs['service.name'] = env.OTEL_SERVICE_NAME;
  Object.assign(attrs, options.attributes);
  if (options.serviceName !== undefined) attrs['service.name'] = options.serviceName;
  attrs['service.name'] ??= 'switchyard';
  return Object.keys(attrs)
    .sort()
    .map((key) => ({ key, value: { stringValue: attrs[key] as string } }));
}
