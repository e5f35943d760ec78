import { describe, expect, it } from 'vitest';
import { prepareResponseHeaders, VIA } from './headers.js';
import { parseRawFields, prepareRawResponseHeaders, rawFieldValue } from './raw-fields.js';

const buffers = (fields: string[]) => fields.map((f) => Buffer.from(f, 'latin1'));

/** The object a client sees for a flat list (names lower-cased, repeats joined as node joins them). */
function seen(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    out[name] = out[name] === undefined ? flat[i + 1]! : `${out[name]}, ${flat[i + 1]}`;
  }
  return out;
}

function seenObject(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const cases: [string, string[]][] = [
  ['plain', ['Content-Type', 'text/plain', 'Content-Length', '2']],
  [
    'hop-by-hop',
    [
      'Connection',
      'keep-alive',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'Proxy-Foo',
      'x',
      'TE',
      'trailers',
      'Upgrade',
      'h2c',
      'Trailer',
      'x-t',
      'x-a',
      '1',
    ],
  ],
  [
    'Connection names fields',
    [
      'X-Secret',
      's',
      'Connection',
      'x-secret, Close',
      'connection',
      'X-Other',
      'X-Other',
      'o',
      'x-keep',
      'k',
    ],
  ],
  ['Connection names Via', ['Via', '1.0 a', 'Connection', 'via']],
  ['Via kept and appended', ['via', '1.0 a', 'X', 'y', 'Via', '1.1 b']],
  ['repeats', ['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'x-a', '1']],
  ['l5d fields', ['l5d-success-class', '0.5', 'L5d-Foo', 'bar', 'x-a', '1']],
  ['latin1 value', ['x-latin', 'caf\u00e9']],
];

describe('prepareRawResponseHeaders', () => {
  for (const [name, fields] of cases) {
    for (const clearContext of [false, true]) {
      it(`filters as prepareResponseHeaders does: ${name}, clearContext ${clearContext}`, () => {
        const expected = seenObject(prepareResponseHeaders(parseRawFields(buffers(fields)), clearContext));
        expect(seen(prepareRawResponseHeaders(buffers(fields), clearContext, undefined, false))).toEqual(
          expected,
        );
        expect(seen(prepareRawResponseHeaders(fields, clearContext, undefined, false))).toEqual(expected);
      });
    }
  }

  it('appends Via to the first Via field, in its place, as one field', () => {
    expect(
      prepareRawResponseHeaders(['Via', '1.0 a', 'X', 'y', 'via', '1.1 b'], false, undefined, false),
    ).toEqual(['Via', `1.0 a, 1.1 b, ${VIA}`, 'X', 'y']);
    expect(prepareRawResponseHeaders(['X', 'y'], false, undefined, false)).toEqual(['X', 'y', 'via', VIA]);
  });

  it('adds extra fields over the endpoint own, then Connection: close', () => {
    const out = prepareRawResponseHeaders(
      ['L5d-Success-Class', '0.0', 'x-a', '1'],
      false,
      { 'l5d-success-class': '1.0' },
      true,
    );
    expect(out).toEqual(['x-a', '1', 'via', VIA, 'l5d-success-class', '1.0', 'connection', 'close']);
  });
});

describe('parseRawFields and rawFieldValue', () => {
  it('lower-cases names, keeps repeats in order as arrays, reads Buffers as latin1', () => {
    const raw = buffers(['Set-Cookie', 'a=1', 'X-A', 'caf\u00e9', 'set-cookie', 'b=2', '__proto__', 'p']);
    const parsed = parseRawFields(raw);
    expect(parsed['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(parsed['x-a']).toBe('caf\u00e9');
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parseRawFields(null)).toEqual({});
  });

  it('finds the first value of a field without building the object', () => {
    const raw = buffers(['Grpc-Status', '14', 'grpc-status', '0']);
    expect(rawFieldValue(raw, 'grpc-status')).toBe('14');
    expect(rawFieldValue(raw, 'grpc-message')).toBeUndefined();
    expect(rawFieldValue(['x', '1'], 'grpc-status')).toBeUndefined();
  });
});
