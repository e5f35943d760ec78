import { createServer, request } from 'node:http';
import type { Identification, RequestHead } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createCookieIdentifier } from './cookie.js';
import { requestCookies } from './cookies.js';
import { IdentifierConfigError } from './errors.js';

function req(cookie?: string | string[]): RequestHead {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers: cookie === undefined ? {} : { cookie },
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    secure: false,
  };
}

function show(id: Identification<RequestHead>): string {
  return id.kind === 'identified' ? `/${id.path.join('/')}` : `unidentified: ${id.reason}`;
}

describe('io.l5d.cookie', () => {
  it('names the request /cookie/<value> by default, or under dstPrefix', async () => {
    const identify = createCookieIdentifier({ name: 'canary' });
    expect(show(await identify(req('session=abc; canary=v2')))).toBe('/cookie/v2');
    const prefixed = createCookieIdentifier({ name: 'canary', dstPrefix: '/svc/web' });
    expect(show(await prefixed(req('canary="v3"')))).toBe('/svc/web/v3');
  });

  it('is unidentified when the cookie is absent, empty, malformed, or does not match the whole pattern', async () => {
    const identify = createCookieIdentifier({ name: 'canary', pattern: 'v[0-9]+' });
    expect(show(await identify(req()))).toBe('unidentified: cookie canary is absent');
    expect(show(await identify(req('canary=')))).toBe('unidentified: cookie canary is absent');
    expect(show(await identify(req('canary=a b')))).toBe('unidentified: cookie canary is absent');
    expect(show(await identify(req('Canary=v1')))).toBe('unidentified: cookie canary is absent');
    expect(show(await identify(req('canary=xv1')))).toBe(
      'unidentified: cookie canary does not match v[0-9]+',
    );
    expect(show(await identify(req('canary=v12')))).toBe('/cookie/v12');
  });

  it('reads several Cookie lines as one list and parses them once per request', async () => {
    const r = req(['a=1', 'canary=v7']);
    const first = requestCookies(r);
    expect(requestCookies(r)).toBe(first);
    expect(show(await createCookieIdentifier({ name: 'canary' })(r))).toBe('/cookie/v7');
    expect(show(await createCookieIdentifier({ name: 'a' })(r))).toBe('/cookie/1');
  });

  it('names the field of a bad option', () => {
    expect(() => createCookieIdentifier({ name: '' })).toThrow(IdentifierConfigError);
    expect(() => createCookieIdentifier({ name: 'a b' })).toThrow(/io\.l5d\.cookie: name: not a cookie name/);
    expect(() => createCookieIdentifier({ name: 'c', pattern: '(' })).toThrow(/io\.l5d\.cookie: pattern: /);
    expect(() => createCookieIdentifier({ name: 'c', dstPrefix: 'nope' })).toThrow(
      /io\.l5d\.cookie: dstPrefix: /,
    );
  });

  it('identifies requests received on a real socket, with two Cookie values', async () => {
    const identify = createCookieIdentifier({ name: 'canary' });
    const seen: string[] = [];
    const server = createServer(async (incoming, res) => {
      const head: RequestHead = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        httpVersion: incoming.httpVersion,
        headers: incoming.headers,
        remoteAddress: incoming.socket.remoteAddress ?? '',
        remotePort: incoming.socket.remotePort ?? 0,
        secure: false,
      };
      seen.push(show(await identify(head)));
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve, reject) => {
      const c = request(
        {
          port,
          host: '127.0.0.1',
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      c.on('error', reject);
      // Two values for one header; the server reads them as `a=1; canary=blue`.
      c.setHeader('cookie', ['a=1', 'canary=blue']);
      c.end();
    });
    await new Promise<void>((r) => server.close(() => r()));
    expect(seen).toEqual(['/cookie/blue']);
  });
});
