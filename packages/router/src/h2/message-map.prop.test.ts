import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHopByHop } from '../headers.js';
import {
  endToEndFields,
  forwardableTrailers,
  h1RequestToH2,
  h1ResponseToH2,
  h2RequestToH1,
  h2ResponseToH1,
  teAllowsTrailers,
  trailerAnnouncement,
} from './message-map.js';

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
const hop = fc.constantFrom(
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'trailer',
);
/** End-to-end field names (never hop-by-hop, never host/te/cookie which have their own rules). */
const e2eName = token.filter((n) => !isHopByHop(n) && n !== 'host' && n !== 'te' && n !== 'cookie');
const e2eFields = fc.dictionary(e2eName, value, { maxKeys: 8 });
const path = fc.stringMatching(/^\/[a-zA-Z0-9._~/-]{0,20}(\?[a-z0-9=&]{0,10})?$/);
const authority = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}(:[1-9][0-9]{0,4})?$/);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

describe('HTTP/1.1 ↔ HTTP/2 request mapping', () => {
  it('h1 → h2 → h1 keeps method, target, host and every end-to-end field', () => {
    fc.assert(
      fc.property(
        method,
        path,
        authority,
        e2eFields,
        fc.constantFrom('http', 'https'),
        (m, p, a, fields, scheme) => {
          const h2 = h1RequestToH2({ method: m, url: p, headers: { ...fields, host: a } }, scheme as 'http');
          expect(h2[':authority']).toBe(a);
          expect(h2[':scheme']).toBe(scheme);
          expect(h2[':path']).toBe(p);
          expect(h2.host).toBeUndefined();
          const back = h2RequestToH1(h2);
          expect(back.kind).toBe('ok');
          if (back.kind !== 'ok') return;
          expect(back.head).toEqual({ method: m, url: p, headers: { ...fields, host: a } });
        },
      ),
    );
  });

  it('never forwards a hop-by-hop field, nor one that Connection names, in either direction', () => {
    fc.assert(
      fc.property(e2eFields, hop, value, e2eName, (fields, h, v, named) => {
        const headers = { ...fields, [h]: v, connection: `keep-alive, ${named}`, [named]: 'x', host: 'a' };
        const h2 = h1RequestToH2({ method: 'GET', url: '/', headers }, 'http');
        for (const name of Object.keys(h2)) {
          expect(isHopByHop(name) && name !== 'te').toBe(false);
          expect(name).not.toBe(named);
        }
        const res = h1ResponseToH2(200, headers);
        expect(Object.keys(res).filter((n) => isHopByHop(n) || n === named)).toEqual([]);
      }),
    );
  });

  it('TE survives only as "trailers"', () => {
    expect(teAllowsTrailers('gzip, trailers;q=1')).toBe(true);
    expect(teAllowsTrailers('gzip')).toBe(false);
    expect(endToEndFields({ te: 'deflate, trailers' }).te).toBe('trailers');
    expect(endToEndFields({ te: 'deflate' }).te).toBeUndefined();
    expect(
      h2RequestToH1({ ':method': 'POST', ':scheme': 'http', ':path': '/x', te: 'trailers' }),
    ).toMatchObject({
      kind: 'ok',
      head: { headers: { te: 'trailers' } },
    });
  });

  it('absolute-form targets give :scheme, :authority (no userinfo) and :path', () => {
    const h2 = h1RequestToH2(
      { method: 'GET', url: 'HTTP://u:p@api.example:8080?q=1', headers: { host: 'other' } },
      'https',
    );
    expect(h2).toMatchObject({ ':scheme': 'http', ':authority': 'api.example:8080', ':path': '/?q=1' });
    expect(h1RequestToH2({ method: 'GET', url: 'http://a', headers: {} }, 'http')[':path']).toBe('/');
    expect(h1RequestToH2({ method: 'CONNECT', url: 'a:443', headers: {} }, 'http')).toEqual({
      ':method': 'CONNECT',
      ':authority': 'a:443',
    });
  });

  it('joins HTTP/2 cookie crumbs with "; " for HTTP/1.1', () => {
    const read = h2RequestToH1({
      ':method': 'GET',
      ':scheme': 'https',
      ':path': '/',
      cookie: ['a=1', 'b=2'],
    });
    expect(read).toMatchObject({ kind: 'ok', head: { headers: { cookie: 'a=1; b=2' } } });
  });

  it('rejects malformed HTTP/2 requests naming the field', () => {
    const base = { ':method': 'GET', ':scheme': 'http', ':path': '/' };
    expect(h2RequestToH1({ ...base, ':bogus': 'x' })).toMatchObject({ kind: 'malformed', field: ':bogus' });
    expect(h2RequestToH1({ ...base, connection: 'close' })).toMatchObject({
      kind: 'malformed',
      field: 'connection',
    });
    expect(h2RequestToH1({ ...base, te: 'gzip' })).toMatchObject({ kind: 'malformed', field: 'te' });
    expect(h2RequestToH1({ ':scheme': 'http', ':path': '/' })).toMatchObject({
      kind: 'malformed',
      field: ':method',
    });
    expect(h2RequestToH1({ ':method': 'GET', ':scheme': 'http' })).toMatchObject({
      kind: 'malformed',
      field: ':path',
    });
    expect(h2RequestToH1({ ':method': 'GET', ':path': '/' })).toMatchObject({
      kind: 'malformed',
      field: ':scheme',
    });
    expect(h2RequestToH1({ ...base, ':authority': 'a', host: 'b' })).toMatchObject({
      kind: 'malformed',
      field: 'host',
    });
    expect(h2RequestToH1({ ':method': 'CONNECT' })).toMatchObject({ kind: 'malformed', field: ':authority' });
  });
});

describe('responses and trailers', () => {
  it('h1 response → h2 → h1 keeps status and end-to-end fields', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), e2eFields, (status, fields) => {
        const h2 = h1ResponseToH2(status, { ...fields, connection: 'close', 'transfer-encoding': 'chunked' });
        expect(h2[':status']).toBe(String(status));
        expect(h2ResponseToH1(h2)).toEqual({ status, headers: fields });
      }),
    );
  });

  it('trailers keep end-to-end fields and drop pseudo, hop-by-hop and forbidden ones', () => {
    fc.assert(
      fc.property(e2eFields, (fields) => {
        const allowed = Object.fromEntries(
          Object.entries(fields).filter(
            ([n]) => !['authorization', 'content-length', 'content-type'].includes(n),
          ),
        );
        const out = forwardableTrailers({
          ...allowed,
          ':status': '200',
          'content-length': '3',
          'transfer-encoding': 'chunked',
          host: 'x',
          'grpc-status': '0',
        });
        expect(out).toEqual({ ...allowed, 'grpc-status': '0' });
      }),
    );
    expect(trailerAnnouncement({ 'grpc-status': '0', 'grpc-message': 'ok', 'content-length': '1' })).toBe(
      'grpc-status, grpc-message',
    );
    expect(trailerAnnouncement({ host: 'x' })).toBeUndefined();
  });
});
