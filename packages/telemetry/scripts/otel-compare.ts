/**
 * Spans per request: this package's tracer against the OpenTelemetry JS SDK doing the same work
 * (docs/telemetry.md, "Cost"). Not part of the build or the tests: the SDK is not a dependency.
 *
 *   mkdir /tmp/otel && (cd /tmp/otel && npm init -y && npm install @opentelemetry/api@1 \
 *     @opentelemetry/core@2 @opentelemetry/sdk-trace-base@2)
 *   cd packages/telemetry && OTEL_DIR=/tmp/otel npx tsx --conditions=switchyard:source \
 *     scripts/otel-compare.ts 30000
 *
 * Prints CPU time (user + system) per request, median of 7 interleaved runs.
 */
import { createRequire } from 'node:module';
import {
  createTracer,
  extractTraceContext,
  injectTraceContext,
  type PropagationFormat,
} from '../src/index.js';
import { toOtlpSpan } from '../src/otlp/encode.js';

const otelDir = process.env.OTEL_DIR;
if (otelDir === undefined)
  throw new Error('set OTEL_DIR to a directory where the OpenTelemetry packages are installed');
const requireOtel = createRequire(`${otelDir}/`);
// biome-ignore lint/suspicious/noExplicitAny: the SDK's types are not installed in the workspace.
type Any = any;
const api: Any = await import(requireOtel.resolve('@opentelemetry/api'));
const otelCore: Any = await import(requireOtel.resolve('@opentelemetry/core'));
const sdk: Any = await import(requireOtel.resolve('@opentelemetry/sdk-trace-base'));

const N = Number(process.argv[2] ?? 200000);
const incoming = { host: 'web', 'user-agent': 'bench', accept: '*/*' };
const incomingTp = { ...incoming, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

function ours(rate: number, headers: Record<string, string>, inject?: readonly PropagationFormat[]) {
  let exported = 0;
  const exporter = {
    export(s: Any) {
      exported++;
      if (exported % 512 === 0) JSON.stringify(toOtlpSpan(s));
    },
  };
  const tracer = createTracer({ sampleRate: rate, exporter });
  return () => {
    const parent = extractTraceContext(headers);
    const span = tracer.startSpan({ name: 'get', kind: 'SERVER', ...(parent ? { parent } : {}) });
    if (span.sampled) {
      span.setTag('http.method', 'GET');
      span.setTag('http.path', '/');
    }
    const h1 = injectTraceContext(headers, span.context, inject ? { inject } : {});
    const attempt = tracer.startSpan({ name: 'get', kind: 'CLIENT', parent: span.context });
    const h2 = injectTraceContext(h1, attempt.context, inject ? { inject } : {});
    if (attempt.sampled) attempt.setTag('http.status_code', 200);
    attempt.finish();
    if (span.sampled) span.setTag('http.status_code', 200);
    span.finish();
    return h2;
  };
}

function otel(rate: number, headers: Record<string, string>) {
  const exporter = {
    export(_spans: Any[], cb: (r: { code: number }) => void) {
      cb({ code: 0 });
    },
    shutdown: async () => {},
  };
  const provider = new sdk.BasicTracerProvider({
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(rate) }),
    spanProcessors: [
      new sdk.BatchSpanProcessor(exporter, {
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const tracer = provider.getTracer('bench');
  const prop = new otelCore.W3CTraceContextPropagator();
  const getter = { get: (c: Any, k: string) => c[k], keys: (c: Any) => Object.keys(c) };
  const setter = {
    set: (c: Any, k: string, v: string) => {
      c[k] = v;
    },
  };
  return () => {
    const parentCtx = prop.extract(api.ROOT_CONTEXT, headers, getter);
    const span = tracer.startSpan(
      'get',
      { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'url.path': '/' } },
      parentCtx,
    );
    const ctx1 = api.trace.setSpan(parentCtx, span);
    const h1: Record<string, string> = { ...headers };
    prop.inject(ctx1, h1, setter);
    const attempt = tracer.startSpan('get', { kind: api.SpanKind.CLIENT }, ctx1);
    const h2: Record<string, string> = { ...h1 };
    prop.inject(api.trace.setSpan(ctx1, attempt), h2, setter);
    attempt.setAttribute('http.response.status_code', 200);
    attempt.end();
    span.setAttribute('http.response.status_code', 200);
    span.end();
    return h2;
  };
}

// CPU time of this process (user+system), not wall time: the box is shared and loaded.
const cases: [string, () => unknown][] = [
  ['ours w3c-only, sampled, new trace', ours(1, incoming, ['w3c'])],
  ['ours w3c-only, sampled, incoming tp', ours(1, incomingTp, ['w3c'])],
  ['ours w3c-only, unsampled (rate 0)', ours(0, incoming, ['w3c'])],
  ['ours, sampled, new trace', ours(1, incoming)],
  ['otel, sampled, new trace', otel(1, incoming)],
  ['ours, sampled, incoming traceparent', ours(1, incomingTp)],
  ['otel, sampled, incoming traceparent', otel(1, incomingTp)],
  ['ours, unsampled (rate 0)', ours(0, incoming)],
  ['otel, unsampled (rate 0)', otel(0, incoming)],
];
const samples = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (const [, f] of cases) for (let i = 0; i < 20000; i++) f();
for (let r = 0; r < 7; r++) {
  for (const [name, f] of cases) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) f();
    const c = process.cpuUsage(c0);
    samples.get(name)!.push((c.user + c.system) / N);
  }
}
for (const [name, xs] of samples) {
  xs.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(40)} median ${xs[3]!.toFixed(2)} µs CPU/request (min ${xs[0]!.toFixed(2)}, max ${xs[6]!.toFixed(2)})`,
  );
}
