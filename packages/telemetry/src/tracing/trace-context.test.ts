import { describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  formatL5dCtxTrace,
  formatTraceparent,
  injectTraceContext,
  parseB3Single,
  parseL5dCtxTrace,
  parseTraceparent,
  readL5dSample,
} from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C traceparent', () => {
  it('parses the spec example', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
  });

  it('rejects invalid values', () => {
    expect(parseTraceparent(`ff-${TRACE}-${SPAN}-01`)).toBeUndefined(); // version ff
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`)).toBeUndefined(); // zero trace
    expect(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`)).toBeUndefined(); // zero span
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`)).toBeUndefined(); // upper case
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01-extra`)).toBeUndefined(); // v00 has 4 fields
    expect(parseTraceparent(`00-${TRACE}-${SPAN}`)).toBeUndefined();
  });

  it('accepts future versions with extra fields', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-what-ever`)?.traceId).toBe(TRACE);
  });

  it('formats, padding 64-bit trace ids', () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, sampled: true })).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ traceId: 'a3ce929d0e0e4736', spanId: SPAN })).toBe(
      `00-0000000000000000a3ce929d0e0e4736-${SPAN}-00`,
    );
  });
});

describe('B3', () => {
  it('parses multi headers (64- and 128-bit, sampled, debug, parent)', () => {
    expect(
      extractTraceContext({
        'x-b3-traceid': 'a3ce929d0e0e4736',
        'x-b3-spanid': SPAN,
        'x-b3-parentspanid': '05e3ac9a4f6e3b90',
        'x-b3-sampled': '1',
      }),
    ).toEqual({
      traceId: 'a3ce929d0e0e4736',
      spanId: SPAN,
      parentSpanId: '05e3ac9a4f6e3b90',
      sampled: true,
      format: 'b3',
    });
    expect(
      extractTraceContext({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-flags': '1' }),
    ).toMatchObject({
      debug: true,
      sampled: true,
    });
    expect(extractTraceContext({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN })?.sampled).toBeUndefined();
  });

  it('parses the single header and ignores decision-only values', () => {
    expect(parseB3Single(`${TRACE}-${SPAN}-1-05e3ac9a4f6e3b90`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: '05e3ac9a4f6e3b90',
      sampled: true,
    });
    expect(parseB3Single(`${TRACE}-${SPAN}-d`)).toMatchObject({ debug: true, sampled: true });
    expect(parseB3Single('0')).toBeUndefined();
    expect(parseB3Single(`${TRACE}-${SPAN}-x`)).toBeUndefined();
  });
});

describe('l5d-ctx-trace', () => {
  it('round-trips 64- and 128-bit ids and the sampling flags', () => {
    for (const ctx of [
      { traceId: 'a3ce929d0e0e4736', spanId: SPAN, parentSpanId: '05e3ac9a4f6e3b90', sampled: true },
      { traceId: TRACE, spanId: SPAN, sampled: false },
      { traceId: TRACE, spanId: SPAN },
      { traceId: TRACE, spanId: SPAN, debug: true, sampled: true },
    ]) {
      expect(parseL5dCtxTrace(formatL5dCtxTrace(ctx))).toEqual(ctx);
    }
  });

  it('reads finagle bytes: span, parent, trace, flags (SamplingKnown|Sampled = 6)', () => {
    const b = Buffer.alloc(32);
    b.writeBigUInt64BE(0x1111n, 0);
    b.writeBigUInt64BE(0x2222n, 8);
    b.writeBigUInt64BE(0x3333n, 16);
    b.writeBigUInt64BE(6n, 24);
    expect(parseL5dCtxTrace(b.toString('base64'))).toEqual({
      traceId: '0000000000003333',
      spanId: '0000000000001111',
      parentSpanId: '0000000000002222',
      sampled: true,
    });
    expect(parseL5dCtxTrace('bm90IGEgdHJhY2U=')).toBeUndefined();
  });

  it('writes finagle bytes: span, parent, trace, flags, then the high trace word (upper-case hex too)', () => {
    const b = Buffer.alloc(40);
    b.writeBigUInt64BE(0xabcdef0123456789n, 0);
    b.writeBigUInt64BE(0x05e3ac9a4f6e3b90n, 8);
    b.writeBigUInt64BE(0xa3ce929d0e0e4736n, 16);
    b.writeBigUInt64BE(7n, 24);
    b.writeBigUInt64BE(0x4bf92f3577b34da6n, 32);
    const ctx = {
      traceId: '4bf92f3577b34da6A3CE929D0E0E4736',
      spanId: 'abcdef0123456789',
      parentSpanId: '05e3ac9a4f6e3b90',
      debug: true,
      sampled: true,
    };
    expect(formatL5dCtxTrace(ctx)).toBe(b.toString('base64'));
    expect(formatL5dCtxTrace({ traceId: 'a3ce929d0e0e4736', spanId: '0000000000000001' })).toBe(
      Buffer.from(`${'00'.repeat(7)}01${'00'.repeat(7)}01a3ce929d0e0e4736${'00'.repeat(8)}`, 'hex').toString(
        'base64',
      ),
    );
  });

  it('refuses ids that are not hex, naming them', () => {
    expect(() => formatL5dCtxTrace({ traceId: TRACE, spanId: 'not-hex-at-all!!' })).toThrow(
      /l5d-ctx-trace: ids must be hex .*span not-hex-at-all!!/,
    );
    expect(() => formatL5dCtxTrace({ traceId: 'abc', spanId: SPAN })).toThrow(SyntaxError);
  });

  it('is ignored and not written with clearContext', () => {
    const headers = { 'l5d-ctx-trace': formatL5dCtxTrace({ traceId: TRACE, spanId: SPAN, sampled: true }) };
    expect(extractTraceContext(headers)?.format).toBe('l5d');
    expect(extractTraceContext(headers, { clearContext: true })).toBeUndefined();
    expect(
      injectTraceContext({}, { traceId: TRACE, spanId: SPAN }, { clearContext: true })['l5d-ctx-trace'],
    ).toBeUndefined();
  });
});

describe('extract/inject', () => {
  it('prefers traceparent over B3 over l5d-ctx-trace and falls back past invalid ones', () => {
    const l5d = formatL5dCtxTrace({ traceId: 'c'.repeat(16), spanId: 'd'.repeat(16) });
    const all = {
      traceparent: `00-${TRACE}-${SPAN}-01`,
      'x-b3-traceid': 'a'.repeat(32),
      'x-b3-spanid': 'b'.repeat(16),
      'l5d-ctx-trace': l5d,
    };
    expect(extractTraceContext(all)?.format).toBe('w3c');
    expect(extractTraceContext({ ...all, traceparent: 'garbage' })?.format).toBe('b3');
    expect(extractTraceContext({ 'l5d-ctx-trace': l5d, 'x-b3-traceid': 'zz' })?.format).toBe('l5d');
    expect(extractTraceContext({})).toBeUndefined();
  });

  it('keeps tracestate and reads array-valued headers', () => {
    expect(
      extractTraceContext({ traceparent: [`00-${TRACE}-${SPAN}-01`], tracestate: 'congo=t61rcWkgMzE' }),
    ).toMatchObject({
      tracestate: 'congo=t61rcWkgMzE',
    });
  });

  it("injects through a router head's withFields seam (no object copy), with the same fields", () => {
    const input = { host: 'web', 'X-B3-SpanId': 'ffffffffffffffff', b3: 'stale' };
    const ctx = { traceId: TRACE, spanId: SPAN, parentSpanId: '05e3ac9a4f6e3b90', sampled: true };
    const expected = injectTraceContext(input, ctx, { b3Single: true });
    const calls: { drop: (lower: string) => boolean; add: readonly string[] }[] = [];
    const derived = { derived: 'yes' };
    const view = {
      ...input,
      [Symbol.for('switchyard.router.withFields')]: (
        drop: (lower: string) => boolean,
        add: readonly string[],
      ) => {
        calls.push({ drop, add });
        return derived;
      },
    };
    expect(injectTraceContext(view, ctx, { b3Single: true })).toBe(derived);
    expect(calls).toHaveLength(1);
    const { drop, add } = calls[0]!;
    expect(['host', 'x-a'].map(drop)).toEqual([false, false]);
    expect(['x-b3-spanid', 'b3', 'traceparent', 'l5d-ctx-trace'].map(drop)).toEqual([true, true, true, true]);
    const added: Record<string, string> = {};
    for (let i = 0; i < add.length; i += 2) added[add[i]!] = add[i + 1]!;
    expect({ host: 'web', ...added }).toEqual(expected);
  });

  it('injects every format into a copy, replacing stale trace headers', () => {
    const input = { host: 'web', 'X-B3-SpanId': 'ffffffffffffffff', b3: 'stale' };
    const ctx = { traceId: TRACE, spanId: SPAN, parentSpanId: '05e3ac9a4f6e3b90', sampled: true };
    const out = injectTraceContext(input, ctx, { b3Single: true });
    expect(input).toEqual({ host: 'web', 'X-B3-SpanId': 'ffffffffffffffff', b3: 'stale' });
    expect(out).toEqual({
      host: 'web',
      traceparent: `00-${TRACE}-${SPAN}-01`,
      'x-b3-traceid': TRACE,
      'x-b3-spanid': SPAN,
      'x-b3-parentspanid': '05e3ac9a4f6e3b90',
      'x-b3-sampled': '1',
      b3: `${TRACE}-${SPAN}-1-05e3ac9a4f6e3b90`,
      'l5d-ctx-trace': formatL5dCtxTrace(ctx),
    });
    // What we inject, we extract again.
    for (const drop of [[], ['traceparent'], ['traceparent', 'b3']]) {
      const h: Record<string, unknown> = { ...out };
      for (const d of drop) delete h[d];
      expect(extractTraceContext(h as Record<string, string>)).toMatchObject({
        traceId: TRACE,
        spanId: SPAN,
        sampled: true,
      });
    }
  });

  it('writes only the formats listed in inject, removing every stale trace header', () => {
    const ctx = {
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: '05e3ac9a4f6e3b90',
      sampled: true,
      tracestate: 'k=v',
    };
    const stale = {
      host: 'web',
      'x-b3-traceid': 'aaaaaaaaaaaaaaaa',
      'x-b3-spanid': 'bbbbbbbbbbbbbbbb',
      b3: 'aaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-1',
      'l5d-ctx-trace': 'AAAA',
    };
    expect(injectTraceContext(stale, ctx, { inject: ['w3c'] })).toEqual({
      host: 'web',
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'k=v',
    });
    expect(injectTraceContext(stale, ctx, { inject: ['b3-single', 'l5d'], clearContext: true })).toEqual({
      host: 'web',
      b3: `${TRACE}-${SPAN}-1-05e3ac9a4f6e3b90`,
    });
    // Without inject, the default set is unchanged: W3C, B3 multi-header and l5d-ctx-trace.
    expect(Object.keys(injectTraceContext(stale, ctx)).sort()).toEqual([
      'host',
      'l5d-ctx-trace',
      'traceparent',
      'tracestate',
      'x-b3-parentspanid',
      'x-b3-sampled',
      'x-b3-spanid',
      'x-b3-traceid',
    ]);
  });

  it('reads l5d-sample clamped to [0, 1]', () => {
    expect(readL5dSample({ 'l5d-sample': '0.25' })).toBe(0.25);
    expect(readL5dSample({ 'l5d-sample': '7' })).toBe(1);
    expect(readL5dSample({ 'l5d-sample': '-1' })).toBe(0);
    expect(readL5dSample({ 'l5d-sample': 'x' })).toBeUndefined();
    expect(readL5dSample({ 'l5d-sample': '1' }, { clearContext: true })).toBeUndefined();
  });
});
