import { describe, expect, it } from 'vitest';
import {
  addForwardingHeaders,
  type HeaderMap,
  isHopByHop,
  prepareRequestHeaders,
  prepareResponseHeaders,
  rewriteAbsoluteForm,
  viaHops,
} from './headers.js';

function defined(h: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
}

describe('hop-by-hop', () => {
  it('knows the RFC 9110 set and every Proxy-* header', () => {
    for (const h of [
      'connection',
      'keep-alive',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
      'proxy-connection',
    ]) {
      expect(isHopByHop(h), h).toBe(true);
    }
    expect(isHopByHop('content-length')).toBe(false);
    expect(isHopByHop('x-proxy')).toBe(false);
  });

  it('strips request hop-by-hop headers, those named by Connection, and Expect', () => {
    const h: HeaderMap = {
      host: 'a',
      connection: 'keep-alive, X-Foo',
      'x-foo': '1',
      te: 'trailers',
      expect: '100-continue',
      'x-bar': '2',
    };
    expect(prepareRequestHeaders(h, false).dtabHeaders).toEqual([]);
    expect(defined(h)).toEqual({ host: 'a', 'x-bar': '2' });
  });

  it('strips response hop-by-hop headers and appends Via', () => {
    const out = prepareResponseHeaders(
      { connection: 'x-a', 'x-a': '1', 'transfer-encoding': 'chunked', via: '1.1 up', 'l5d-err': 'e' },
      false,
    );
    expect(out).toEqual({ via: '1.1 up, 1.1 switchyard', 'l5d-err': 'e' });
    expect(prepareResponseHeaders({ 'l5d-err': 'e', 'l5d-success-class': '1' }, true)).toEqual({
      via: '1.1 switchyard',
    });
  });
});

describe('l5d context', () => {
  it('returns dtab headers in append order without clearContext, and removes them', () => {
    const h: HeaderMap = {
      'l5d-dtab': '/b=>/c',
      'l5d-ctx-dtab': '/a=>/b',
      'dtab-local': '/x=>/y',
      'l5d-reqid': 'r',
    };
    expect(prepareRequestHeaders(h, false).dtabHeaders).toEqual([
      ['dtab-local', '/x=>/y'],
      ['l5d-ctx-dtab', '/a=>/b'],
      ['l5d-dtab', '/b=>/c'],
    ]);
    expect(defined(h)).toEqual({ 'l5d-reqid': 'r' });
  });

  it('drops every l5d-* header and dtab-local unread with clearContext', () => {
    const h: HeaderMap = { 'l5d-dtab': '/b=>/c', 'l5d-anything': 'x', 'dtab-local': '/x=>/y', host: 'h' };
    expect(prepareRequestHeaders(h, true).dtabHeaders).toEqual([]);
    expect(defined(h)).toEqual({ host: 'h' });
  });
});

describe('forwarding', () => {
  it('counts Via hops', () => {
    expect(viaHops(undefined)).toBe(0);
    expect(viaHops('1.1 a')).toBe(1);
    expect(viaHops('1.1 a, 1.1 b')).toBe(2);
    expect(viaHops(['1.1 a', '1.1 b, 1.0 c'])).toBe(3);
  });

  it('adds Via, X-Forwarded-* and RFC 7239 Forwarded (IPv6 quoted)', () => {
    const h: HeaderMap = { 'x-forwarded-proto': 'https', forwarded: 'for=1.2.3.4' };
    addForwardingHeaders(h, { remoteAddress: '::1', secure: false, host: 'web:80' }, { rfc7239: true });
    expect(h).toEqual({
      via: '1.1 switchyard',
      'x-forwarded-for': '::1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'web:80',
      forwarded: 'for=1.2.3.4, for="[::1]";proto=http;host="web:80"',
    });
    const off: HeaderMap = {};
    addForwardingHeaders(
      off,
      { remoteAddress: '::ffff:10.0.0.1', secure: true, host: undefined },
      { xForwarded: false, rfc7239: { by: 'edge' } },
    );
    expect(off).toEqual({ via: '1.1 switchyard', forwarded: 'for=10.0.0.1;proto=https;by=edge' });
  });
});

describe('absolute-form rewrite', () => {
  it.each([
    ['http://h/p?q=1', { url: '/p?q=1', host: 'h' }],
    ['http://h:8080', { url: '/', host: 'h:8080' }],
    ['HTTPS://user@h?x', { url: '/?x', host: 'h' }],
    ['/origin', undefined],
    ['*', undefined],
    ['ftp://h/p', undefined],
  ])('%s', (target, expected) => {
    expect(rewriteAbsoluteForm(target)).toEqual(expected);
  });
});
