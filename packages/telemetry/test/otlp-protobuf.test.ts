/**
 * The hand-written OTLP protobuf encoder and decoder against an independent implementation:
 * protobufjs reading the OTLP trace schema. The schema below restates the messages a trace export
 * uses with the field numbers and types of opentelemetry-proto (`trace/v1/trace.proto`,
 * `common/v1/common.proto`, `resource/v1/resource.proto`, `collector/trace/v1/trace_service.proto`,
 * checked against open-telemetry/opentelemetry-proto@ac2c4b5d); the package name is ours, which
 * the wire format does not carry. Plus a byte vector worked out by hand.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../src/errors.js';
import {
  decodeOtlpProtobuf,
  encodeOtlpProtobuf,
  encodeOtlpTraces,
  type OtlpTraceRequest,
  otlpResource,
} from '../src/otlp/index.js';
import type { ZipkinSpan } from '../src/tracing/index.js';

const OTLP_TRACE_SCHEMA = `
syntax = "proto3";
package otlptest;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    bytes bytes_value = 7;
  }
}
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  fixed32 flags = 16; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const Request = protobuf.parse(OTLP_TRACE_SCHEMA).root.lookupType('otlptest.ExportTraceServiceRequest');

const spans: ZipkinSpan[] = [
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id: '00f067aa0ba902b7',
    name: 'get',
    kind: 'SERVER',
    timestamp: 1_700_000_000_123_456,
    duration: 1_500,
    localEndpoint: { serviceName: 'edge' },
    tags: {
      'http.method': 'GET',
      'http.path': '/é?x=1',
      'http.status_code': '503',
      'l5d.service': '/svc/web',
    },
    annotations: [{ timestamp: 1_700_000_000_124_000, value: 'wr' }],
  },
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id: '53995c3f42cd8ad8',
    parentId: '00f067aa0ba902b7',
    name: 'get',
    kind: 'CLIENT',
    timestamp: 1_700_000_000_123_500,
    duration: 900,
    localEndpoint: { serviceName: 'edge' },
    remoteEndpoint: { ipv4: '10.0.0.7', port: 8080 },
    tags: { error: 'ECONNRESET', 'a.long.one': 'x'.repeat(300) },
    annotations: [],
  },
];
const request = encodeOtlpTraces(
  spans,
  otlpResource({ serviceName: 'edge', env: { POD_NAME: 'l5d-x7k2p', NODE_NAME: 'node-1' } }),
);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nanos = (v: unknown) => String(v);

describe('OTLP protobuf encoding', () => {
  it('encodes a one-attribute request to the bytes worked out by hand', () => {
    const tiny: OtlpTraceRequest = {
      resourceSpans: [
        { resource: { attributes: [{ key: 'k', value: { stringValue: 'v' } }] }, scopeSpans: [] },
      ],
    };
    // request{1: resourceSpans{1: resource{1: keyValue{1:"k", 2: anyValue{1:"v"}}}}}
    expect(hex(encodeOtlpProtobuf(tiny))).toBe('0a0c0a0a0a080a016b12030a0176');
    expect(decodeOtlpProtobuf(Buffer.from('0a0c0a0a0a080a016b12030a0176', 'hex'))).toEqual(tiny);
  });

  it('is read by protobufjs with the OTLP schema as the same spans the JSON encoding carries', () => {
    const bytes = encodeOtlpProtobuf(request);
    const decoded = Request.toObject(Request.decode(bytes), {
      longs: String,
      bytes: Array,
      defaults: false,
    }) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: Record<string, unknown> }[] };
        scopeSpans: { scope: { name: string; version: string }; spans: Record<string, unknown>[] }[];
      }[];
    };
    const rs = decoded.resourceSpans[0]!;
    expect(rs.resource.attributes).toEqual([
      { key: 'k8s.node.name', value: { stringValue: 'node-1' } },
      { key: 'k8s.pod.name', value: { stringValue: 'l5d-x7k2p' } },
      { key: 'service.name', value: { stringValue: 'edge' } },
    ]);
    expect(rs.scopeSpans[0]!.scope).toEqual({ name: '@switchyard/telemetry', version: '0.1.0' });
    const [server, client] = rs.scopeSpans[0]!.spans as Record<string, unknown>[];
    const json = request.resourceSpans[0]!.scopeSpans[0]!.spans;
    // Every span as protobufjs reads it equals the JSON form (ids as hex, ns and ints as strings).
    const normalized = [server!, client!].map((s) => ({
      traceId: hex(Uint8Array.from(s.traceId as number[])),
      spanId: hex(Uint8Array.from(s.spanId as number[])),
      ...(s.parentSpanId ? { parentSpanId: hex(Uint8Array.from(s.parentSpanId as number[])) } : {}),
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: nanos(s.startTimeUnixNano),
      endTimeUnixNano: nanos(s.endTimeUnixNano),
      attributes: ((s.attributes ?? []) as { key: string; value: Record<string, unknown> }[]).map((a) => ({
        key: a.key,
        value: 'intValue' in a.value ? { intValue: String(a.value.intValue) } : a.value,
      })),
      events: ((s.events ?? []) as { timeUnixNano: unknown; name: string }[]).map((e) => ({
        timeUnixNano: nanos(e.timeUnixNano),
        name: e.name,
      })),
      status: (s.status as { code?: number; message?: string } | undefined) ?? { code: 0 },
    }));
    expect(normalized).toEqual(json);
    expect(normalized[0]).toMatchObject({ kind: 2, startTimeUnixNano: '1700000000123456000' });
    expect(normalized[1]).toMatchObject({ kind: 3, parentSpanId: '00f067aa0ba902b7', status: { code: 2 } });
  });

  it('decodes what protobufjs encodes from the JSON form, and round-trips its own encoding', () => {
    expect(decodeOtlpProtobuf(encodeOtlpProtobuf(request))).toEqual(request);
    const s = request.resourceSpans[0]!.scopeSpans[0]!.spans[1]!;
    // fixed64 as {low, high}: protobufjs without long.js would round a decimal string to a double.
    const long = (decimal: string) => {
      const v = BigInt(decimal);
      return { low: Number(v & 0xffffffffn), high: Number(v >> 32n), unsigned: true };
    };
    const fromProtobufjs = Request.encode({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'edge' } }] },
          scopeSpans: [
            {
              scope: { name: 'n', version: 'v' },
              spans: [
                {
                  traceId: Buffer.from(s.traceId, 'hex'),
                  spanId: Buffer.from(s.spanId, 'hex'),
                  parentSpanId: Buffer.from(s.parentSpanId!, 'hex'),
                  flags: 0x301, // a fixed32 field the decoder skips
                  name: s.name,
                  kind: s.kind,
                  startTimeUnixNano: long(s.startTimeUnixNano),
                  endTimeUnixNano: long(s.endTimeUnixNano),
                  attributes: [
                    { key: 'i', value: { intValue: '-42' } },
                    { key: 'b', value: { boolValue: true } },
                    { key: 'd', value: { doubleValue: 1.5 } }, // not written by us: read as ''
                  ],
                  status: { code: 2, message: 'ECONNRESET' },
                },
              ],
            },
          ],
        },
      ],
    }).finish();
    const decoded = decodeOtlpProtobuf(fromProtobufjs).resourceSpans[0]!.scopeSpans[0]!;
    expect(decoded.scope).toEqual({ name: 'n', version: 'v' });
    expect(decoded.spans[0]).toEqual({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: 'get',
      kind: 3,
      startTimeUnixNano: s.startTimeUnixNano,
      endTimeUnixNano: s.endTimeUnixNano,
      attributes: [
        { key: 'i', value: { intValue: '-42' } },
        { key: 'b', value: { boolValue: true } },
        { key: 'd', value: { stringValue: '' } },
      ],
      events: [],
      status: { code: 2, message: 'ECONNRESET' },
    });
  });

  it('rejects truncated input naming the byte offset', () => {
    const bytes = encodeOtlpProtobuf(request);
    const cut = bytes.subarray(0, 40);
    expect(() => decodeOtlpProtobuf(cut)).toThrow(TelemetryError);
    expect(() => decodeOtlpProtobuf(cut)).toThrow(/^OTLP protobuf at byte \d+: field \d+ runs past the end/);
    expect(() => decodeOtlpProtobuf(Uint8Array.of(0x0b))).toThrow(
      'OTLP protobuf at byte 0: wire type 3 of field 1 is not supported',
    );
  });

  it('is smaller than the JSON encoding of the same spans', () => {
    const proto = encodeOtlpProtobuf(request).length;
    const json = Buffer.byteLength(JSON.stringify(request));
    expect(proto).toBeLessThan(json * 0.7);
  });
});
