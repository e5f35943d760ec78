/**
 * The HTTP identifiers against Linkerd 1's own test cases (router/http/*IdentifierTest.scala),
 * the examples in linkerd/docs/protocol-http.md, and the edge cases an edge router meets:
 * absolute-form targets, IPv6 hosts, query strings, percent-encoding, empty headers.
 */
import type { Identification, RequestHead } from '@switchyard/core';
import { firstIdentified, SwitchyardError } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { describe, expect, it } from 'vitest';
import {
  createHeaderIdentifier,
  createHeaderTokenIdentifier,
  createMethodAndHostIdentifier,
  createPathIdentifier,
  createStaticIdentifier,
  DEFAULT_HTTP_IDENTIFIER_KIND,
  IdentifierConfigError,
} from '../src/http.js';
import * as root from '../src/index.js';

function req(init: Partial<RequestHead> & { headers?: RequestHead['headers'] } = {}): RequestHead {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers: {},
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    secure: false,
    ...init,
  };
}

function named(result: Identification<RequestHead>): string {
  if (result.kind !== 'identified') throw new Error(`unidentified: ${result.reason}`);
  return Path.show(result.path);
}

function labels(result: Identification<RequestHead>): readonly string[] {
  if (result.kind !== 'identified') throw new Error(`unidentified: ${result.reason}`);
  return result.path;
}

function reason(result: Identification<RequestHead>): string {
  if (result.kind !== 'unidentified') throw new Error(`identified as ${Path.show(result.path)}`);
  return result.reason;
}

function forwardedUrl(result: Identification<RequestHead>): string {
  if (result.kind !== 'identified') throw new Error(`unidentified: ${result.reason}`);
  return result.request.url;
}

describe('io.l5d.header.token', () => {
  const identify = createHeaderTokenIdentifier();

  it('names a request by its Host header under /svc', async () => {
    const r = req({ headers: { host: 'web.example.com' } });
    const result = await identify(r);
    expect(named(result)).toBe('/svc/web.example.com');
    expect(result.kind === 'identified' && result.request).toBe(r);
  });

  it('hands every request for a known Host the same frozen name (built once per value)', async () => {
    const first = await identify(req({ headers: { host: 'memo.example.com' } }));
    const second = await identify(req({ headers: { host: 'memo.example.com' } }));
    const other = await identify(req({ headers: { host: 'other.example.com' } }));
    expect(first.kind === 'identified' && second.kind === 'identified' && first.path === second.path).toBe(
      true,
    );
    expect(first.kind === 'identified' && Object.isFrozen(first.path)).toBe(true);
    expect(named(other)).toBe('/svc/other.example.com');
  });

  it('keeps the value verbatim as ONE segment: case and port are kept', async () => {
    expect(labels(await identify(req({ headers: { host: 'Web.Example.COM:8080' } })))).toEqual([
      'svc',
      'Web.Example.COM:8080',
    ]);
  });

  it('keeps an IPv6 host literal with its brackets and port as one segment', async () => {
    expect(labels(await identify(req({ headers: { host: '[::1]:18080' } })))).toEqual(['svc', '[::1]:18080']);
  });

  it('a value with "/" stays one segment (shown escaped)', async () => {
    const result = await identify(req({ headers: { host: 'a/b' } }));
    expect(labels(result)).toEqual(['svc', 'a/b']);
    expect(named(result)).toBe('/svc/\\x61\\x2f\\x62');
  });

  it('missing or empty Host: "Host header is absent"', async () => {
    expect(reason(await identify(req()))).toBe('Host header is absent');
    expect(reason(await identify(req({ headers: { host: '' } })))).toBe('Host header is absent');
  });

  it('uses a configured header, case-insensitively, and names it as configured in the reason', async () => {
    const byHeader = createHeaderTokenIdentifier({ header: 'My-Header' });
    expect(named(await byHeader(req({ headers: { 'my-header': 'blue', host: 'x' } })))).toBe('/svc/blue');
    expect(reason(await byHeader(req({ headers: { host: 'x' } })))).toBe('My-Header header is absent');
  });

  it("Linkerd 1's h2 form header: ':authority' reads the authority (Host on HTTP/1.1, :authority on HTTP/2)", async () => {
    const byAuthority = createHeaderTokenIdentifier({ header: ':authority' });
    // An HTTP/2 request's :authority reaches the head as Host (the router's message map).
    expect(named(await byAuthority(req({ httpVersion: '2.0', headers: { host: 'grpc.example' } })))).toBe(
      '/svc/grpc.example',
    );
    expect(named(await byAuthority(req({ headers: { host: 'web' } })))).toBe('/svc/web');
    expect(reason(await byAuthority(req()))).toBe(':authority header is absent');
    const byMethod = createHeaderTokenIdentifier({ header: ':method' });
    expect(named(await byMethod(req({ method: 'POST' })))).toBe('/svc/POST');
    expect(() => createHeaderTokenIdentifier({ header: ':scheme' })).toThrow(/not an HTTP header name/);
  });

  it('takes the first value of a repeated header', async () => {
    const byHeader = createHeaderTokenIdentifier({ header: 'x-route' });
    expect(named(await byHeader(req({ headers: { 'x-route': ['a', 'b'] } })))).toBe('/svc/a');
  });

  it('an absolute-form target names by its authority (Host is overridden), without userinfo', async () => {
    const r = req({ url: 'http://user:pw@api.example.com:8080/x?y', headers: { host: 'other' } });
    expect(labels(await identify(r))).toEqual(['svc', 'api.example.com:8080']);
  });

  it('honours dstPrefix, including the empty prefix', async () => {
    const http = createHeaderTokenIdentifier({ dstPrefix: '/http/1.1' });
    expect(named(await http(req({ headers: { host: 'h' } })))).toBe('/http/1.1/h');
    const bare = createHeaderTokenIdentifier({ dstPrefix: '/' });
    expect(named(await bare(req({ headers: { host: 'h' } })))).toBe('/h');
    const asPath = createHeaderTokenIdentifier({ dstPrefix: ['a', 'b'] });
    expect(named(await asPath(req({ headers: { host: 'h' } })))).toBe('/a/b/h');
  });

  it('header bytes stay bytes; text beyond latin1 becomes UTF-8 bytes like finagle Path.Utf8', async () => {
    // node hands headers over as latin1: "\xc3\xa9" is the UTF-8 of é already.
    expect(labels(await identify(req({ headers: { host: 'caf\xc3\xa9' } })))).toEqual(['svc', 'caf\xc3\xa9']);
    expect(labels(await identify(req({ headers: { host: 'x\u20ac' } })))).toEqual(['svc', 'x\xe2\x82\xac']);
  });

  it('rejects a bad dstPrefix or header option with SY_ERR_IDENTIFIERS_CONFIG', () => {
    expect(() => createHeaderTokenIdentifier({ dstPrefix: 'svc' })).toThrow(IdentifierConfigError);
    try {
      createHeaderTokenIdentifier({ dstPrefix: '/svc/' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SwitchyardError);
      expect((err as SwitchyardError).code).toBe('SY_ERR_IDENTIFIERS_CONFIG');
      expect((err as Error).message).toMatch(/^io\.l5d\.header\.token: dstPrefix: /);
    }
    expect(() => createHeaderTokenIdentifier({ header: 'bad header' })).toThrow(
      /header: not an HTTP header name/,
    );
  });
});

describe('io.l5d.header', () => {
  it('reads the header as a path (Linkerd "use path from header")', async () => {
    const identify = createHeaderIdentifier({ dstPrefix: '/http', header: 'my-header' });
    expect(named(await identify(req({ headers: { 'my-header': '/a/b/c' } })))).toBe('/http/a/b/c');
  });

  it('defaults to l5d-name under /svc', async () => {
    const identify = createHeaderIdentifier();
    expect(named(await identify(req({ headers: { 'l5d-name': '/web/v2' } })))).toBe('/svc/web/v2');
    expect(named(await identify(req({ headers: { 'l5d-name': '/' } })))).toBe('/svc');
    expect(labels(await identify(req({ headers: { 'l5d-name': '/\\x66oo' } })))).toEqual(['svc', 'foo']);
  });

  it('missing or empty header: "l5d-name header is absent"', async () => {
    const identify = createHeaderIdentifier();
    expect(reason(await identify(req({ headers: { host: 'h' } })))).toBe('l5d-name header is absent');
    expect(reason(await identify(req({ headers: { 'l5d-name': '' } })))).toBe('l5d-name header is absent');
  });

  it('a value that is not a path is unidentified with the parse error', async () => {
    const identify = createHeaderIdentifier();
    for (const bad of ['web', '/a//b', '/a/', '/a b']) {
      const why = reason(await identify(req({ headers: { 'l5d-name': bad } })));
      let expected = '';
      try {
        Path.read(bad);
      } catch (err) {
        expected = (err as Error).message;
      }
      expect(expected).not.toBe('');
      expect(why).toBe(expected);
    }
  });
});

describe('io.l5d.path', () => {
  it('request with same number of segments as requested', async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2 });
    expect(named(await identify(req({ url: '/mysvc/subsvc' })))).toBe('/http/mysvc/subsvc');
  });

  it('request with more segments than requested (query ignored)', async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2 });
    const r = req({ url: '/mysvc/subsvc/some/path?other=stuff' });
    const result = await identify(r);
    expect(named(result)).toBe('/http/mysvc/subsvc');
    expect(result.kind === 'identified' && result.request).toBe(r);
  });

  it('request with fewer segments than requested: "not enough segments in path"', async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2 });
    expect(reason(await identify(req({ url: '/mysvc?other=stuff' })))).toBe('not enough segments in path');
    expect(reason(await identify(req({ url: '/mysvc/' })))).toBe('not enough segments in path');
    expect(reason(await createPathIdentifier()(req({ url: '/' })))).toBe('not enough segments in path');
  });

  it('consumes path segments, keeping the rest and the query', async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2, consume: true });
    const result = await identify(req({ url: '/mysvc/subsvc/some/path?other=stuff' }));
    expect(named(result)).toBe('/http/mysvc/subsvc');
    expect(forwardedUrl(result)).toBe('/some/path?other=stuff');
  });

  it('consumes the entire path to "/"', async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2, consume: true });
    expect(forwardedUrl(await identify(req({ url: '/mysvc/subsvc' })))).toBe('/');
    expect(forwardedUrl(await identify(req({ url: '/mysvc/subsvc/' })))).toBe('/');
    expect(forwardedUrl(await identify(req({ url: '/mysvc/subsvc?q=1' })))).toBe('/?q=1');
  });

  it("the docs' example: segments 2 + consume maps /true/love/waits.php to /http/true/love and /waits.php", async () => {
    const identify = createPathIdentifier({ dstPrefix: '/http', segments: 2, consume: true });
    const result = await identify(req({ url: '/true/love/waits.php' }));
    expect(named(result)).toBe('/http/true/love');
    expect(forwardedUrl(result)).toBe('/waits.php');
  });

  it('consume keeps a trailing slash, before the query', async () => {
    const identify = createPathIdentifier({ consume: true });
    expect(forwardedUrl(await identify(req({ url: '/a/b/' })))).toBe('/b/');
    expect(forwardedUrl(await identify(req({ url: '/a/b/?q=1&r=/x' })))).toBe('/b/?q=1&r=/x');
    expect(forwardedUrl(await identify(req({ url: '/a/b?x=/c' })))).toBe('/b?x=/c');
  });

  it('consume returns a new request and leaves the original untouched', async () => {
    const r = req({ url: '/a/b', headers: { host: 'h' } });
    const result = await createPathIdentifier({ consume: true })(r);
    expect(result.kind === 'identified' && result.request).not.toBe(r);
    expect(r.url).toBe('/a/b');
    expect(result.kind === 'identified' && result.request.headers).toBe(r.headers);
  });

  it('keeps percent-encoding verbatim in names and forwarded URLs', async () => {
    const identify = createPathIdentifier({ consume: true });
    const result = await identify(req({ url: '/a%20b/c%2Fd?x=%41' }));
    expect(labels(result)).toEqual(['svc', 'a%20b']);
    expect(forwardedUrl(result)).toBe('/c%2Fd?x=%41');
  });

  it('splits like Java: inner empty segments count, trailing slashes do not', async () => {
    const two = createPathIdentifier({ segments: 2 });
    expect(labels(await two(req({ url: '/a//b' })))).toEqual(['svc', 'a', '']);
    expect(labels(await two(req({ url: '/a/b//' })))).toEqual(['svc', 'a', 'b']);
    expect(forwardedUrl(await createPathIdentifier({ consume: true })(req({ url: '/a//b' })))).toBe('//b');
  });

  it('segments: 0 names every request by the prefix alone', async () => {
    const identify = createPathIdentifier({ segments: 0, consume: true });
    const result = await identify(req({ url: '/a/b?q' }));
    expect(named(result)).toBe('/svc');
    expect(forwardedUrl(result)).toBe('/a/b?q');
  });

  it('reads absolute-form targets by their path and keeps scheme://authority when consuming', async () => {
    const identify = createPathIdentifier({ consume: true });
    const result = await identify(req({ url: 'http://h:8080/a/b?x=1' }));
    expect(named(result)).toBe('/svc/a');
    expect(forwardedUrl(result)).toBe('http://h:8080/b?x=1');
    expect(reason(await identify(req({ url: 'http://h:8080' })))).toBe('not enough segments in path');
    expect(forwardedUrl(await identify(req({ url: 'https://[::1]:8443/a?z' })))).toBe(
      'https://[::1]:8443/?z',
    );
  });

  it('rejects a bad segments option', () => {
    expect(() => createPathIdentifier({ segments: -1 })).toThrow(IdentifierConfigError);
    expect(() => createPathIdentifier({ segments: 1.5 })).toThrow(/segments: must be a non-negative integer/);
  });
});

describe('io.l5d.methodAndHost', () => {
  it('http/1.1 request without a host header: "HTTP/1.1 request missing hostname"', async () => {
    const identify = createMethodAndHostIdentifier({ dstPrefix: '/https' });
    expect(reason(await identify(req({ url: '/some/path?other=stuff' })))).toBe(
      'HTTP/1.1 request missing hostname',
    );
    expect(reason(await identify(req({ headers: { host: '' } })))).toBe('HTTP/1.1 request missing hostname');
  });

  it('http/1.1 request with a host header', async () => {
    const identify = createMethodAndHostIdentifier({ dstPrefix: '/https' });
    const result = await identify(req({ url: '/some/path?other=stuff', headers: { host: 'domain' } }));
    expect(named(result)).toBe('/https/1.1/GET/domain');
  });

  it('http/1.1 with URIs', async () => {
    const identify = createMethodAndHostIdentifier({ dstPrefix: '/https', httpUriInDst: true });
    const result = await identify(req({ url: '/some/path?other=stuff', headers: { host: 'domain' } }));
    expect(named(result)).toBe('/https/1.1/GET/domain/some/path');
  });

  it('http/1.0 ignores the host', async () => {
    const identify = createMethodAndHostIdentifier({ dstPrefix: '/prefix' });
    const r = req({ method: 'POST', url: '/drum/bass', httpVersion: '1.0', headers: { host: 'h' } });
    expect(named(await identify(r))).toBe('/prefix/1.0/POST');
    expect(named(await identify({ ...r, headers: {} }))).toBe('/prefix/1.0/POST');
  });

  it('http/1.0 with uri', async () => {
    const identify = createMethodAndHostIdentifier({ dstPrefix: '/prefix', httpUriInDst: true });
    const r = req({ method: 'POST', url: '/drum/bass', httpVersion: '1.0' });
    expect(named(await identify(r))).toBe('/prefix/1.0/POST/drum/bass');
  });

  it('lower-cases the host (RFC 2616) and keeps its port; the method is verbatim', async () => {
    const identify = createMethodAndHostIdentifier();
    expect(
      labels(await identify(req({ method: 'PATCH', headers: { host: 'Web.Example.COM:8080' } }))),
    ).toEqual(['svc', '1.1', 'PATCH', 'web.example.com:8080']);
    expect(labels(await identify(req({ headers: { host: '[FE80::1]:80' } })))).toEqual([
      'svc',
      '1.1',
      'GET',
      '[fe80::1]:80',
    ]);
  });

  it('an absolute-form target supplies the host', async () => {
    const identify = createMethodAndHostIdentifier();
    expect(named(await identify(req({ url: 'http://API.example.com/x' })))).toBe(
      '/svc/1.1/GET/api.example.com',
    );
  });

  it('another HTTP version: "Unknown HTTP version HTTP/2.0"', async () => {
    const identify = createMethodAndHostIdentifier();
    expect(reason(await identify(req({ httpVersion: '2.0', headers: { host: 'h' } })))).toBe(
      'Unknown HTTP version HTTP/2.0',
    );
  });

  it('httpUriInDst with a path that is not a Path is unidentified with the parse error', async () => {
    const identify = createMethodAndHostIdentifier({ httpUriInDst: true });
    const why = reason(await identify(req({ url: '/a/', headers: { host: 'h' } })));
    expect(why).toBe(
      (() => {
        try {
          Path.read('/a/');
          return '';
        } catch (err) {
          return (err as Error).message;
        }
      })(),
    );
    expect(named(await identify(req({ url: '/?q=1', headers: { host: 'h' } })))).toBe('/svc/1.1/GET/h');
  });
});

describe('io.l5d.static', () => {
  it('gives every request dstPrefix ++ path', async () => {
    const identify = createStaticIdentifier({ path: '/foo/bar' });
    expect(named(await identify(req()))).toBe('/svc/foo/bar');
    expect(named(await identify(req({ url: '/x', headers: { host: 'y' } })))).toBe('/svc/foo/bar');
    const custom = createStaticIdentifier({ path: ['a'], dstPrefix: '/http' });
    expect(named(await custom(req()))).toBe('/http/a');
  });

  it('requires a path', () => {
    expect(() => createStaticIdentifier({} as never)).toThrow('io.l5d.static: path: path is required');
    expect(() => createStaticIdentifier({ path: 'foo' })).toThrow(IdentifierConfigError);
  });
});

describe('composition and the kind registry', () => {
  it('the first identifier that identifies wins; otherwise the last reason is used', async () => {
    const identify = firstIdentified([createHeaderIdentifier(), createHeaderTokenIdentifier()]);
    expect(named(await identify(req({ headers: { 'l5d-name': '/a', host: 'h' } })))).toBe('/svc/a');
    expect(named(await identify(req({ headers: { host: 'h' } })))).toBe('/svc/h');
    expect(reason(await identify(req()))).toBe('Host header is absent');
  });

  it('builds every Linkerd kind from its options', async () => {
    expect(DEFAULT_HTTP_IDENTIFIER_KIND).toBe('io.l5d.header.token');
    const r = req({ url: '/x/y', headers: { host: 'H', 'l5d-name': '/n' } });
    const results = await Promise.all([
      createHeaderTokenIdentifier({})(r),
      createHeaderIdentifier({})(r),
      createPathIdentifier({ segments: 2 })(r),
      createMethodAndHostIdentifier({})(r),
      createStaticIdentifier({ path: '/s' })(r),
    ]);
    expect(results.map(named)).toEqual(['/svc/H', '/svc/n', '/svc/x/y', '/svc/1.1/GET/h', '/svc/s']);
  });

  it('the package root exports the same factories', () => {
    expect(root.createPathIdentifier).toBe(createPathIdentifier);
    expect(root.DEFAULT_HTTP_IDENTIFIER_KIND).toBe(DEFAULT_HTTP_IDENTIFIER_KIND);
  });
});
