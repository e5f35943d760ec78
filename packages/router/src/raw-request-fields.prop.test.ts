import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addForwardingHeaders,
  type ForwardedHeaderOptions,
  type HeaderMap,
  needsPreparing,
  prepareRequestHeaders,
} from './headers.js';
import {
  forwardRequestFields,
  needsPreparingFields,
  prepareRequestFields,
  type RouterFields,
  withField,
} from './raw-request-fields.js';
import { fieldsView, fieldValue, headerObject, rawFieldsOf, WITH_FIELDS } from './request-head.js';

/** Names the rules treat specially, plus ordinary ones and node's first-only/join/array names. */
const NAMES = [
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-foo',
  'expect',
  'l5d-dtab',
  'l5d-ctx-dtab',
  'l5d-ctx-trace',
  'l5d-reqid',
  'l5d-dst-service',
  'l5d-dst-client',
  'l5d-dst-residual',
  'l5d-ctx-deadline',
  'dtab-local',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'cookie',
  'set-cookie',
  'user-agent',
  'content-type',
  'accept',
  'x-a',
  'x-b',
  'dtab',
  'ex',
];

/** A name in random letter case (raw lists keep the client's case). */
const rawName = fc
  .tuple(fc.constantFrom(...NAMES), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }))
  .map(([n, upper]) => [...n].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
/** Values: ordinary text, dtabs, and Connection token lists naming other fields. */
const fieldText = fc.oneof(
  fc.stringMatching(/^[!-+\--~]([ -~]{0,12}[!-~])?$/),
  fc.constantFrom('/s=>/t', ' ', '', 'close', 'keep-alive', 'Keep-Alive, x-a', 'x-b,  X-A , close'),
  fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((ns) => ns.join(', ')),
);
const rawFields = fc.array(fc.tuple(rawName, fieldText), { maxLength: 12 }).map((pairs) => pairs.flat());

/** A header map without the entries `undefined` removes. */
function defined(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

describe('raw request fields (property: the same header object as the object rules)', () => {
  it('fieldValue and the view read what node-rule headerObject holds', () => {
    fc.assert(
      fc.property(rawFields, fc.constantFrom(...NAMES), (raw, name) => {
        const object = headerObject(raw);
        expect(fieldValue(raw, name)).toEqual(object[name]);
        const view = fieldsView(raw);
        expect(view[name]).toEqual(object[name]);
        expect(name in view).toBe(object[name] !== undefined);
        expect(view[name.toUpperCase()]).toBeUndefined();
        expect({ ...view }).toEqual(object);
        expect(rawFieldsOf(view)).toBe(raw);
      }),
    );
  });

  it('prepareRequestFields = prepareRequestHeaders', () => {
    fc.assert(
      fc.property(rawFields, fc.boolean(), (raw, clearContext) => {
        const object = headerObject(raw);
        expect(needsPreparingFields(raw)).toBe(needsPreparing(object));
        const expected = { ...object };
        const context = prepareRequestHeaders(expected, clearContext);
        const prepared = prepareRequestFields(raw, clearContext);
        expect(headerObject(prepared.fields)).toEqual(defined(expected));
        expect(prepared.context).toEqual(context);
      }),
    );
  });

  it('withField = replacing one name in the object', () => {
    fc.assert(
      fc.property(rawFields, fieldText, (raw, host) => {
        expect(headerObject(withField(raw, 'host', host))).toEqual({ ...headerObject(raw), host });
      }),
    );
  });

  const options: fc.Arbitrary<ForwardedHeaderOptions> = fc.record({
    xForwarded: fc.boolean(),
    rfc7239: fc.oneof(fc.boolean(), fc.constant({ by: 'edge 1' }), fc.constant({})),
  });
  const own: fc.Arbitrary<RouterFields> = fc.record({
    service: fc.constantFrom('/svc/web', '/svc/a b'),
    client: fc.constant('/$/inet/127.0.0.1/8080'),
    residual: fc.constantFrom(undefined, '/rest'),
    requestId: fc.constant('0123456789abcdef'),
    ctxDtab: fc.constantFrom(undefined, '/a=>/b'),
    ctxDeadline: fc.constantFrom(undefined, '1 2'),
  });

  it('forwardRequestFields = addForwardingHeaders and the router fields on the object', () => {
    fc.assert(
      fc.property(
        rawFields,
        options,
        own,
        fc.constantFrom('10.0.0.1', '::1', '::ffff:1.2.3.4'),
        fc.boolean(),
        fc.constantFrom(undefined, 'web.test', 'h:8080'),
        (raw, opts, mine, remoteAddress, secure, host) => {
          const info = { remoteAddress, secure, host };
          const h: HeaderMap = { ...headerObject(raw) };
          addForwardingHeaders(h, info, opts);
          h['l5d-dst-service'] = mine.service;
          h['l5d-dst-client'] = mine.client;
          h['l5d-dst-residual'] = mine.residual;
          h['l5d-reqid'] = mine.requestId;
          if (mine.ctxDtab !== undefined) h['l5d-ctx-dtab'] = mine.ctxDtab;
          h['l5d-ctx-deadline'] = mine.ctxDeadline;
          expect(headerObject(forwardRequestFields(raw, info, opts, mine))).toEqual(defined(h));
        },
      ),
    );
  });

  it('withFields (the seam telemetry propagates through) = dropping names and setting fields on the object', () => {
    const dropNames = fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 4 });
    const added = fc
      .uniqueArray(fc.tuple(fc.constantFrom('traceparent', 'x-b3-traceid', 'l5d-ctx-trace'), fieldText), {
        selector: ([n]) => n,
        maxLength: 3,
      })
      .map((pairs) => pairs.flat());
    fc.assert(
      fc.property(rawFields, dropNames, added, (raw, drop, add) => {
        const dropped = new Set([...drop, 'traceparent', 'x-b3-traceid', 'l5d-ctx-trace']);
        const expected: HeaderMap = {};
        for (const [k, v] of Object.entries(headerObject(raw))) if (!dropped.has(k)) expected[k] = v;
        for (let i = 0; i < add.length; i += 2) expected[add[i]!] = add[i + 1]!;
        const withFields = (fieldsView(raw) as unknown as Record<symbol, unknown>)[WITH_FIELDS] as (
          d: (lower: string) => boolean,
          a: readonly string[],
        ) => HeaderMap;
        const next = withFields((lower) => dropped.has(lower), add);
        expect(headerObject(rawFieldsOf(next)!)).toEqual(expected);
        expect({ ...next }).toEqual(expected);
      }),
    );
  });

  it('a view written through is no longer raw, and reads the write', () => {
    const raw = ['Host', 'a', 'X-A', '1'];
    const view = fieldsView(raw);
    expect(rawFieldsOf(view)).toBe(raw);
    (view as HeaderMap)['x-a'] = '2';
    expect(rawFieldsOf(view)).toBeUndefined();
    expect(view['x-a']).toBe('2');
    expect({ ...view }).toEqual({ host: 'a', 'x-a': '2' });
    expect(rawFieldsOf({ host: 'a' })).toBeUndefined();
  });
});
