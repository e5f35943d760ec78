import type { RequestHead } from '@switchyard/core';
import type { KubeObject } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { applyRequestFilters, modifyHeaders, modifyPath, redirectOf } from './filters.js';
import { createHttpRouteIdentifier } from './identifier.js';
import type { MatchRecord } from './model.js';

const prefix = (value: string): MatchRecord => ({
  path: { type: 'PathPrefix', value },
  headers: [],
  queryParams: [],
  method: undefined,
});

function head(url: string, headers: Record<string, string> = {}, secure = false): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: { host: 'example.com', ...headers },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure,
  };
}

describe('HTTPRoute filters', () => {
  it('ReplacePrefixMatch replaces whole elements of the matched prefix; ReplaceFullPath the path', () => {
    const rp = (to: string) => ({ type: 'ReplacePrefixMatch', replacePrefixMatch: to });
    expect(modifyPath('/prefix/one/two', rp('/one'), prefix('/prefix/one'))).toBe('/one/two');
    expect(modifyPath('/strip-prefix/three', rp('/'), prefix('/strip-prefix'))).toBe('/three');
    expect(modifyPath('/strip-prefix', rp('/'), prefix('/strip-prefix'))).toBe('/');
    expect(modifyPath('/strip-prefix/', rp('/'), prefix('/strip-prefix'))).toBe('/');
    expect(modifyPath('/a/b', rp('/x/'), prefix('/a'))).toBe('/x/b');
    expect(modifyPath('/a/b', rp('/x'), prefix('/'))).toBe('/x/a/b');
    expect(modifyPath('/a/b', { type: 'ReplaceFullPath', replaceFullPath: '/full' }, prefix('/a'))).toBe(
      '/full',
    );
  });

  it('RequestHeaderModifier sets, adds (comma-joined) and removes, names case-insensitive', () => {
    expect(
      modifyHeaders(
        { host: 'h', 'x-a': '1', 'x-b': '2', 'x-c': '3' },
        {
          set: [{ name: 'X-A', value: 'one' }],
          add: [
            { name: 'X-B', value: 'two' },
            { name: 'x-new', value: 'n' },
          ],
          remove: ['X-C'],
        },
      ),
    ).toEqual({ host: 'h', 'x-a': 'one', 'x-b': '2,two', 'x-new': 'n' });
  });

  it('URLRewrite rewrites hostname and path, keeping the query', () => {
    const out = applyRequestFilters(
      head('/api/v1/items?x=1'),
      [
        {
          type: 'URLRewrite',
          urlRewrite: {
            hostname: 'internal',
            path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
          },
        },
      ],
      prefix('/api/v1'),
    );
    expect(out.url).toBe('/v2/items?x=1');
    expect(out.headers.host).toBe('internal');
  });

  it('RequestRedirect: scheme, hostname, port (well-known omitted), path, status (302 by default)', () => {
    const r = (redirect: Record<string, unknown>, url = '/a/b?q=1', host = 'example.com:8080') =>
      redirectOf(head(url, { host }), [{ type: 'RequestRedirect', requestRedirect: redirect }], prefix('/a'));
    expect(r({})).toEqual({ status: 302, location: 'http://example.com:8080/a/b?q=1' });
    expect(r({ scheme: 'https' })).toEqual({ status: 302, location: 'https://example.com/a/b?q=1' });
    expect(r({ scheme: 'https', port: 443, statusCode: 301 })).toEqual({
      status: 301,
      location: 'https://example.com/a/b?q=1',
    });
    expect(r({ hostname: 'other.test', port: 8443 })).toEqual({
      status: 302,
      location: 'http://other.test:8443/a/b?q=1',
    });
    expect(
      r({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/z' } }, '/a/b', 'example.com'),
    ).toEqual({
      status: 302,
      location: 'http://example.com/z/b',
    });
    expect(redirectOf(head('/'), [], prefix('/'))).toBeUndefined();
  });

  it('the identifier forwards the rewritten request', async () => {
    const objs = [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'sy' },
        spec: { controllerName: 'switchyard.dev/gateway-controller' },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: 'default' },
        spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'r', namespace: 'default' },
        spec: {
          parentRefs: [{ name: 'gw' }],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { add: [{ name: 'x-route', value: 'r' }] },
                },
                {
                  type: 'URLRewrite',
                  urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } },
                },
              ],
              backendRefs: [{ name: 'web', port: 80 }],
            },
          ],
        },
      },
    ] as unknown as KubeObject[];
    const id = createHttpRouteIdentifier({ source: { kind: 'static', objects: objs } });
    await id.synced;
    const r = await id(head('/old/x?y=1'));
    expect(r.kind === 'identified' && [r.request.url, r.request.headers['x-route']]).toEqual([
      '/new/x?y=1',
      'r',
    ]);
    // Request-side filters only: the response layer has nothing to do.
    expect(id.hasResponseFilters).toBe(false);
    id.close();
    const rule = (objs[2] as unknown as { spec: { rules: { filters: unknown[] }[] } }).spec.rules[0]!;
    rule.filters.push({
      type: 'ResponseHeaderModifier',
      responseHeaderModifier: { add: [{ name: 'x', value: '1' }] },
    });
    const withResponse = createHttpRouteIdentifier({ source: { kind: 'static', objects: objs } });
    await withResponse.synced;
    expect(withResponse.hasResponseFilters).toBe(true);
    withResponse.close();
  });
});
