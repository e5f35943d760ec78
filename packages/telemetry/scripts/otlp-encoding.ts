/**
 * OTLP body encodings side by side: bytes per span and µs per span to encode a batch as protobuf
 * (`encodeOtlpProtobuf`) and as JSON (`JSON.stringify`), both from the same `encodeOtlpTraces`
 * request, so the shared ZipkinSpan → OTLP conversion is measured separately.
 *
 *   cd packages/telemetry && npx tsx --conditions=switchyard:source scripts/otlp-encoding.ts [batch] [rounds]
 *
 * Prints the median CPU time of `rounds` (default 31) rounds of 20 batches of `batch` spans (default
 * 512, the exporter's batch size), after a warm-up. Off the request path: the exporter encodes a
 * batch when it sends it.
 */
import { loadavg } from 'node:os';
import { encodeOtlpProtobuf, encodeOtlpTraces, otlpResource } from '../src/otlp/index.js';
import type { ZipkinSpan } from '../src/tracing/index.js';

const batch = Number(process.argv[2] ?? 512);
const rounds = Number(process.argv[3] ?? 31);
const resource = otlpResource({
  serviceName: 'switchyard',
  env: { POD_NAME: 'l5d-x7k2p', NODE_NAME: 'node-1' },
});

/** Spans as the router makes them: a SERVER span per request and a CLIENT span per attempt. */
const spans: ZipkinSpan[] = Array.from({ length: batch }, (_, i) => ({
  traceId: (0x4bf92f3577b34da6n + BigInt(i >> 1)).toString(16).padStart(32, '0'),
  id: (i + 1).toString(16).padStart(16, '0'),
  ...(i % 2 === 1 ? { parentId: i.toString(16).padStart(16, '0') } : {}),
  name: 'get',
  kind: i % 2 === 0 ? 'SERVER' : 'CLIENT',
  timestamp: 1_700_000_000_000_000 + i * 250,
  duration: 180 + (i % 17),
  localEndpoint: { serviceName: 'switchyard' },
  ...(i % 2 === 1 ? { remoteEndpoint: { ipv4: '10.0.3.17', port: 8080 } } : {}),
  tags:
    i % 2 === 0
      ? {
          'http.method': 'GET',
          'http.path': `/api/v1/items/${i}`,
          'http.status_code': '200',
          'l5d.service': '/svc/web',
        }
      : { 'http.status_code': '200' },
  annotations: [],
}));

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1] as number;
}

/** CPU µs per span of `encode`, median over rounds of 20 batches each. */
function time(encode: () => unknown): number {
  for (let i = 0; i < 50; i++) encode();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // CPU time (user + system), not wall time: on a shared box the wall clock counts other work.
    const start = process.cpuUsage();
    for (let i = 0; i < 20; i++) encode();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / (20 * batch));
  }
  return median(samples);
}

const request = encodeOtlpTraces(spans, resource);
const protobufBytes = encodeOtlpProtobuf(request).length;
const jsonBytes = Buffer.byteLength(JSON.stringify(request));
const convert = time(() => encodeOtlpTraces(spans, resource));
const protobufUs = time(() => encodeOtlpProtobuf(request));
const jsonUs = time(() => Buffer.from(JSON.stringify(request)));

const row = (name: string, bytes: number, us: number) =>
  `${name.padEnd(10)} ${(bytes / batch).toFixed(1).padStart(14)} ${us.toFixed(3).padStart(12)} ${(us + convert).toFixed(3).padStart(22)}`;
console.log(
  `node ${process.version}, ${batch} spans per batch, CPU time, median of ${rounds} rounds, load ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  `${'encoding'.padEnd(10)} ${'bytes/span'.padStart(14)} ${'µs/span'.padStart(12)} ${'µs/span incl. convert'.padStart(22)}`,
);
console.log(row('protobuf', protobufBytes, protobufUs));
console.log(row('json', jsonBytes, jsonUs));
console.log(`ZipkinSpan → OTLP object (shared by both): ${convert.toFixed(3)} µs/span`);
