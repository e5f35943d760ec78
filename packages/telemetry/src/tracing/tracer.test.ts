import type { Clock, TimerHandle } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createTracer, type ZipkinSpan } from './tracer.js';

function fakeClock(): Clock & { advance(ms: number): void } {
  let ms = 1_700_000_000_000;
  return {
    now: () => ms,
    nanoTime: () => BigInt(ms) * 1_000_000n,
    setTimeout: (): TimerHandle => ({ id: 0 }),
    clearTimeout: () => {},
    advance(d) {
      ms += d;
    },
  };
}

/** A deterministic generator (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tracer', () => {
  it('makes a server span per request and a child client span per attempt', () => {
    const clock = fakeClock();
    const spans: ZipkinSpan[] = [];
    const tracer = createTracer({
      sampleRate: 1,
      clock,
      random: seeded(1),
      exporter: { export: (s) => spans.push(s) },
    });
    const server = tracer.startSpan({ name: 'GET /', kind: 'SERVER' });
    server.setTag('http.method', 'GET');
    clock.advance(2);
    const a1 = tracer.startSpan({ name: 'attempt', kind: 'CLIENT', parent: server.context });
    a1.setRemoteEndpoint({ ipv4: '127.0.0.1', port: 8080 });
    clock.advance(5);
    a1.setTag('http.status_code', 503);
    a1.finish();
    const a2 = tracer.startSpan({ name: 'attempt', kind: 'CLIENT', parent: server.context });
    clock.advance(3);
    a2.annotate('retry');
    a2.finish();
    server.finish();
    server.finish();

    expect(spans).toHaveLength(3);
    const [c1, c2, s] = spans as [ZipkinSpan, ZipkinSpan, ZipkinSpan];
    expect(s.kind).toBe('SERVER');
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.parentId).toBeUndefined();
    expect(s.duration).toBe(10_000);
    expect(s.timestamp).toBe(1_700_000_000_000_000);
    expect(s.tags).toEqual({ 'http.method': 'GET' });
    for (const c of [c1, c2]) {
      expect(c.traceId).toBe(s.traceId);
      expect(c.parentId).toBe(s.id);
      expect(c.kind).toBe('CLIENT');
    }
    expect(c1.id).not.toBe(c2.id);
    expect(c1.duration).toBe(5000);
    expect(c1.remoteEndpoint).toEqual({ ipv4: '127.0.0.1', port: 8080 });
    expect(c1.tags).toEqual({ 'http.status_code': '503' });
    expect(c2.annotations).toEqual([{ timestamp: 1_700_000_000_010_000, value: 'retry' }]);
    expect(s.localEndpoint).toEqual({ serviceName: 'switchyard' });
  });

  it('samples new traces by sampleRate and follows the caller decision', () => {
    const spans: ZipkinSpan[] = [];
    const tracer = createTracer({
      sampleRate: 0.25,
      random: seeded(7),
      exporter: { export: (s) => spans.push(s) },
    });
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const span = tracer.startSpan({ name: 'r', kind: 'SERVER' });
      if (span.sampled) sampled++;
      span.finish();
    }
    expect(spans).toHaveLength(sampled);
    expect(sampled).toBeGreaterThan(400);
    expect(sampled).toBeLessThan(600);

    const parent = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    expect(
      tracer.startSpan({ name: 'r', kind: 'SERVER', parent: { ...parent, sampled: true } }).sampled,
    ).toBe(true);
    expect(
      createTracer({ sampleRate: 1 }).startSpan({
        name: 'r',
        kind: 'SERVER',
        parent: { ...parent, sampled: false },
      }).sampled,
    ).toBe(false);
    expect(
      createTracer({ sampleRate: 0 }).startSpan({
        name: 'r',
        kind: 'SERVER',
        parent: { ...parent, debug: true },
      }).sampled,
    ).toBe(true);
    expect(
      createTracer({ sampleRate: 0 }).startSpan({ name: 'r', kind: 'SERVER', sampleRate: 1 }).sampled,
    ).toBe(true);
  });

  it('unsampled spans still carry ids for propagation and export nothing', () => {
    const spans: ZipkinSpan[] = [];
    const tracer = createTracer({ sampleRate: 0, exporter: { export: (s) => spans.push(s) } });
    const span = tracer.startSpan({ name: 'r', kind: 'SERVER' });
    expect(span.context).toMatchObject({ sampled: false });
    expect(span.context.spanId).toMatch(/^[0-9a-f]{16}$/);
    span.setTag('a', 'b');
    span.finish();
    expect(spans).toEqual([]);
  });

  it('decides sampling before any span: the parent flag wins, a new trace draws once at the rate', () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0.5;
    };
    const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const tracer = createTracer({ sampleRate: 0.25, random });
    expect(tracer.shouldSample({ ...parent, sampled: true })).toBe(true);
    expect(tracer.shouldSample({ ...parent, sampled: false })).toBe(false);
    expect(tracer.shouldSample({ ...parent, sampled: false, debug: true })).toBe(true);
    expect(draws).toBe(0);
    // No decision upstream (e.g. B3 ids without x-b3-sampled): a new decision at the rate.
    expect(tracer.shouldSample(parent)).toBe(false);
    expect(tracer.shouldSample(undefined, 0.75)).toBe(true);
    expect(draws).toBe(2);
    // Rates 0 and 1 need no draw.
    expect(createTracer({ sampleRate: 0, random }).shouldSample()).toBe(false);
    expect(createTracer({ sampleRate: 1, random }).shouldSample()).toBe(true);
    expect(draws).toBe(2);
  });
});
