import type { RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { createIngressIdentifier, type IngressIdentifierOptions } from './identifier.js';

type PathSpec = { path?: string; pathType?: string; svc: string; port?: string | number };
type RuleSpec = { host?: string; paths: PathSpec[] };

function backend(svc: string, port: string | number = 'http') {
  return { service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

function ing(
  name: string,
  o: {
    ns?: string;
    rules?: RuleSpec[];
    def?: string;
    created?: string;
    className?: string;
    annotation?: string | null;
    tls?: { hosts?: string[]; secretName?: string }[];
  } = {},
): KubeObject {
  const annotations: Record<string, string> = {};
  if (o.annotation !== null) annotations['kubernetes.io/ingress.class'] = o.annotation ?? 'linkerd';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      annotations,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
    },
    spec: {
      ...(o.className ? { ingressClassName: o.className } : {}),
      ...(o.def ? { defaultBackend: backend(o.def) } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      rules: (o.rules ?? []).map((r) => ({
        ...(r.host ? { host: r.host } : {}),
        http: {
          paths: r.paths.map((p) => ({
            ...(p.path !== undefined ? { path: p.path } : {}),
            pathType: p.pathType ?? 'Prefix',
            backend: backend(p.svc, p.port),
          })),
        },
      })),
    },
  } as KubeObject;
}

function req(host: string | undefined, url = '/'): RequestHead {
  return {
    method: 'GET',
    url,
    httpVersion: '1.1',
    headers: host === undefined ? {} : { host },
    remoteAddress: '127.0.0.1',
    remotePort: 1234,
    secure: false,
  };
}

function make(objects: KubeObject[], o: IngressIdentifierOptions = {}) {
  return createIngressIdentifier({ source: { kind: 'static', objects }, ...o });
}

/** The service a request goes to, `404`/`400` when unidentified. */
async function route(id: ReturnType<typeof make>, host: string | undefined, url = '/'): Promise<string> {
  const r = await id(req(host, url));
  if (r.kind === 'unidentified') return `${r.status}:${r.reason}`;
  return Path.show(r.path);
}

describe('io.l5d.ingress default mode: hosts', () => {
  const id = make([
    ing('a', {
      rules: [
        { host: 'foo.com', paths: [{ path: '/', svc: 'exact-host' }] },
        { host: '*.foo.com', paths: [{ path: '/', svc: 'wild' }] },
        { paths: [{ path: '/hostless', svc: 'any' }] },
      ],
    }),
  ]);

  it.each([
    ['foo.com', '/', '/svc/default/http/exact-host'],
    ['FOO.com', '/', '/svc/default/http/exact-host'],
    ['foo.com:8080', '/x', '/svc/default/http/exact-host'],
    ['foo.com.', '/', '/svc/default/http/exact-host'],
    ['bar.foo.com', '/', '/svc/default/http/wild'],
    ['Bar.Foo.Com:443', '/', '/svc/default/http/wild'],
    ['baz.bar.foo.com', '/', '404:no ingress rule matches'],
    ['baz.bar.foo.com', '/hostless', '/svc/default/http/any'],
    ['other.com', '/hostless/x', '/svc/default/http/any'],
    [undefined, '/hostless', '/svc/default/http/any'],
    ['other.com', '/', '404:no ingress rule matches'],
    ['foo.com', '/hostless', '/svc/default/http/exact-host'],
  ])('Host %s %s → %s', async (host, url, want) => {
    expect(await route(id, host, url)).toBe(want);
  });

  it('falls through from a host whose paths do not match to the wildcard, then hostless rules', async () => {
    const id2 = make([
      ing('b', {
        rules: [
          { host: 'x.foo.com', paths: [{ path: '/api', svc: 'exact' }] },
          { host: '*.foo.com', paths: [{ path: '/web', svc: 'wild' }] },
          { paths: [{ path: '/', svc: 'catchall' }] },
        ],
      }),
    ]);
    expect(await route(id2, 'x.foo.com', '/api/v1')).toBe('/svc/default/http/exact');
    expect(await route(id2, 'x.foo.com', '/web')).toBe('/svc/default/http/wild');
    expect(await route(id2, 'x.foo.com', '/other')).toBe('/svc/default/http/catchall');
  });
});

describe('io.l5d.ingress default mode: paths', () => {
  const id = make([
    ing('p', {
      rules: [
        {
          host: 'h',
          paths: [
            { path: '/foo', pathType: 'Exact', svc: 'exact-foo' },
            { path: '/foo', pathType: 'Prefix', svc: 'prefix-foo' },
            { path: '/foo/bar/', pathType: 'Prefix', svc: 'prefix-foobar' },
            { path: '/aaa/bbb', pathType: 'ImplementationSpecific', svc: 'impl' },
            { path: '/', pathType: 'Prefix', svc: 'root' },
            { path: '/Case', pathType: 'Exact', svc: 'case' },
          ],
        },
      ],
    }),
  ]);

  it.each([
    ['/foo', 'exact-foo'], // Exact beats Prefix on a tie
    ['/foo/', 'prefix-foo'], // trailing slash: not Exact, but Prefix ignores it
    ['/foo/x', 'prefix-foo'],
    ['/foobar', 'root'], // element-wise: /foo is not a prefix of /foobar
    ['/foo/bar', 'prefix-foobar'], // trailing slash of the rule ignored; longest wins
    ['/foo/bar/baz', 'prefix-foobar'],
    ['/foo/barbaz', 'prefix-foo'],
    ['/aaa/bbb/ccc', 'impl'], // ImplementationSpecific is Prefix
    ['/aaa/bbbxyz', 'root'],
    ['/Case', 'case'],
    ['/case', 'root'], // Exact is case-sensitive
    ['/', 'root'],
    ['/foo?x=/foo/bar', 'exact-foo'], // the query is not part of the path
  ])('%s → %s', async (url, svc) => {
    expect(await route(id, 'h', url)).toBe(`/svc/default/http/${svc}`);
  });

  it('takes the longest match across Ingresses, whatever their order', async () => {
    const a = ing('a', { rules: [{ host: 'h', paths: [{ path: '/a', svc: 'short' }] }] });
    const b = ing('b', { rules: [{ host: 'h', paths: [{ path: '/a/b', svc: 'long' }] }] });
    for (const objects of [
      [a, b],
      [b, a],
    ]) {
      const id2 = make(objects);
      expect(await route(id2, 'h', '/a/b/c')).toBe('/svc/default/http/long');
      expect(await route(id2, 'h', '/a/c')).toBe('/svc/default/http/short');
    }
  });

  it('breaks an exact tie by the oldest Ingress, then namespace/name', async () => {
    const old = ing('zzz', {
      created: '2020-01-01T00:00:00Z',
      rules: [{ host: 'h', paths: [{ path: '/x', svc: 'old' }] }],
    });
    const young = ing('aaa', {
      created: '2023-01-01T00:00:00Z',
      rules: [{ host: 'h', paths: [{ path: '/x', svc: 'young' }] }],
    });
    expect(await route(make([young, old]), 'h', '/x')).toBe('/svc/default/http/old');
    const same1 = ing('b', { rules: [{ host: 'h', paths: [{ path: '/x', svc: 'b' }] }] });
    const same2 = ing('a', { rules: [{ host: 'h', paths: [{ path: '/x', svc: 'a' }] }] });
    expect(await route(make([same1, same2]), 'h', '/x')).toBe('/svc/default/http/a');
  });

  it('uses the port as written, number or name, and the Ingress namespace', async () => {
    const id2 = make([
      ing('n', {
        ns: 'shop',
        rules: [
          {
            host: 'h',
            paths: [
              { path: '/n', svc: 'web', port: 8080 },
              { path: '/s', svc: 'web', port: 'grpc' },
            ],
          },
        ],
      }),
    ]);
    expect(await route(id2, 'h', '/n')).toBe('/svc/shop/8080/web');
    expect(await route(id2, 'h', '/s')).toBe('/svc/shop/grpc/web');
    const id3 = make([ing('n', { rules: [{ paths: [{ path: '/', svc: 'web' }] }] })], {
      dstPrefix: '/ingress/x',
    });
    expect(await route(id3, 'h', '/')).toBe('/ingress/x/default/http/web');
  });
});

describe('io.l5d.ingress default mode: default backends', () => {
  it('uses a default backend only when no rule of any Ingress matches', async () => {
    const withDefault = ing('a', {
      def: 'fallback',
      rules: [{ host: 'a', paths: [{ path: '/', svc: 'a' }] }],
    });
    const other = ing('b', { rules: [{ host: 'b', paths: [{ path: '/', svc: 'b' }] }] });
    const id = make([withDefault, other]);
    expect(await route(id, 'b', '/')).toBe('/svc/default/http/b');
    expect(await route(id, 'a', '/')).toBe('/svc/default/http/a');
    expect(await route(id, 'c', '/')).toBe('/svc/default/http/fallback');
    const ignoring = make([withDefault, other], { ignoreDefaultBackends: true });
    expect(await route(ignoring, 'c', '/')).toBe('404:no ingress rule matches');
  });

  it('chooses among several defaults the oldest, then namespace/name', async () => {
    const x = ing('x', { def: 'x', created: '2022-01-01T00:00:00Z' });
    const y = ing('y', { def: 'y', created: '2021-01-01T00:00:00Z' });
    expect(await route(make([x, y]), 'h', '/')).toBe('/svc/default/http/y');
    const p = ing('p', { def: 'p', ns: 'b' });
    const q = ing('q', { def: 'q', ns: 'a' });
    expect(await route(make([p, q]), 'h', '/')).toBe('/svc/a/http/q');
  });
});

describe('io.l5d.ingress default mode: classes', () => {
  const ours = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'switchyard' },
    spec: { controller: 'switchyard.dev/ingress' },
  } as KubeObject;
  const theirs = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'nginx' },
    spec: { controller: 'k8s.io/ingress-nginx' },
  } as KubeObject;
  const rules = (svc: string): RuleSpec[] => [{ host: svc, paths: [{ path: '/', svc }] }];

  it('claims by annotation, by ingressClassName of our IngressClass, and ignores the rest', async () => {
    const id = make([
      ours,
      theirs,
      ing('ann', { rules: rules('ann') }),
      ing('other-ann', { annotation: 'nginx', rules: rules('other-ann') }),
      ing('cls', { annotation: null, className: 'switchyard', rules: rules('cls') }),
      ing('nginx-cls', { annotation: null, className: 'nginx', rules: rules('nginx-cls') }),
      ing('missing-cls', { annotation: null, className: 'nope', rules: rules('missing-cls') }),
      ing('classless', { annotation: null, rules: rules('classless') }),
    ]);
    expect(await route(id, 'ann')).toBe('/svc/default/http/ann');
    expect(await route(id, 'cls')).toBe('/svc/default/http/cls');
    for (const h of ['other-ann', 'nginx-cls', 'missing-cls', 'classless']) {
      expect(await route(id, h)).toBe('404:no ingress rule matches');
    }
    expect(id.ignored().map((i) => i.object)).toEqual([
      'default/classless',
      'default/missing-cls',
      'default/nginx-cls',
      'default/other-ann',
    ]);
  });

  it('claims class-less Ingresses when one of our IngressClasses is the default', async () => {
    const def = {
      ...ours,
      metadata: {
        name: 'switchyard',
        annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
      },
    } as KubeObject;
    const id = make([def, ing('classless', { annotation: null, rules: rules('classless') })]);
    expect(await route(id, 'classless')).toBe('/svc/default/http/classless');
  });

  it('honours custom annotation and controller values', async () => {
    const id = make(
      [
        { ...ours, spec: { controller: 'example.com/edge' } } as KubeObject,
        ing('a', { annotation: 'edge', rules: rules('a') }),
        ing('b', { annotation: 'linkerd', rules: rules('b') }),
        ing('c', { annotation: null, className: 'switchyard', rules: rules('c') }),
      ],
      { ingressClassAnnotation: 'edge', controllerName: 'example.com/edge' },
    );
    expect(await route(id, 'a')).toBe('/svc/default/http/a');
    expect(await route(id, 'b')).toBe('404:no ingress rule matches');
    expect(await route(id, 'c')).toBe('/svc/default/http/c');
  });
});

describe('io.l5d.ingress: validation, views', () => {
  it('skips malformed Ingresses with a message naming them; the rest keep routing', async () => {
    const resource = ing('res', { rules: [{ host: 'r', paths: [{ path: '/', svc: 'x' }] }] });
    (resource as unknown as { spec: { rules: { http: { paths: { backend: unknown }[] } }[] } }).spec.rules[0]!
      .http.paths[0]!.backend = {
      resource: { kind: 'StorageBucket', name: 'b' },
    };
    const noPort = ing('noport', {});
    (noPort as unknown as { spec: unknown }).spec = { defaultBackend: { service: { name: 'x' } } };
    const relative = ing('rel', {
      rules: [{ host: 'q', paths: [{ path: 'foo', pathType: 'Exact', svc: 'x' }] }],
    });
    const good = ing('good', { rules: [{ host: 'g', paths: [{ path: '/', svc: 'good' }] }] });
    const id = make([resource, noPort, relative, good]);
    expect(await route(id, 'g')).toBe('/svc/default/http/good');
    expect(await route(id, 'r')).toBe('404:no ingress rule matches');
    expect(id.problems()).toEqual([
      {
        kind: 'invalid',
        object: 'default/noport',
        field: 'spec.defaultBackend.service.port',
        message: 'Ingress default/noport: spec.defaultBackend.service.port: needs a port name or number',
      },
      {
        kind: 'invalid',
        object: 'default/rel',
        field: 'spec.rules[0].http.paths[0].path',
        message:
          'Ingress default/rel: spec.rules[0].http.paths[0].path: Exact path "foo" must start with "/"',
      },
      {
        kind: 'invalid',
        object: 'default/res',
        field: 'spec.rules[0].http.paths[0].backend',
        message:
          'Ingress default/res: spec.rules[0].http.paths[0].backend: resource backends are not supported (only Service backends)',
      },
    ]);
  });

  it('lists rules and TLS secrets of served Ingresses', async () => {
    const id = make([
      ing('a', {
        def: 'd',
        tls: [{ hosts: ['a.com'], secretName: 'a-cert' }, { hosts: ['x'] }],
        rules: [{ host: 'A.com', paths: [{ path: '/', svc: 'web', port: 80 }] }],
      }),
      ing('other', { annotation: 'nginx', tls: [{ hosts: ['o'], secretName: 'not-ours' }] }),
    ]);
    await id.synced;
    expect(id.rules()).toEqual([
      {
        ingress: 'default/a',
        host: 'a.com',
        path: '/',
        match: 'Prefix',
        backend: { namespace: 'default', service: 'web', port: '80' },
        name: '/svc/default/80/web',
      },
      {
        ingress: 'default/a',
        host: '*',
        path: undefined,
        match: 'default',
        backend: { namespace: 'default', service: 'd', port: 'http' },
        name: '/svc/default/http/d',
      },
    ]);
    expect(id.tlsSecrets.sample()).toEqual([
      { ingress: 'default/a', namespace: 'default', secretName: 'a-cert', hosts: ['a.com'] },
    ]);
  });

  it('accepts extensions/v1beta1 objects (the post’s Ingress)', async () => {
    const post = {
      apiVersion: 'extensions/v1beta1',
      kind: 'Ingress',
      metadata: { name: 'hello-world', annotations: { 'kubernetes.io/ingress.class': 'linkerd' } },
      spec: {
        backend: { serviceName: 'world-v1', servicePort: 'http' },
        rules: [
          {
            host: 'world.v2',
            http: { paths: [{ backend: { serviceName: 'world-v2', servicePort: 'http' } }] },
          },
        ],
      },
    } as KubeObject;
    for (const compat of ['default', 'linkerd1'] as const) {
      const id = make([post], { compat });
      expect(await route(id, undefined, '/')).toBe('/svc/default/http/world-v1');
      expect(await route(id, 'world.v2', '/anything')).toBe('/svc/default/http/world-v2');
    }
  });

  it('rejects bad options', () => {
    expect(() => make([], { dstPrefix: 'svc' })).toThrow(/dstPrefix/);
    expect(() => make([], { compat: 'linkerd2' as 'default' })).toThrow(/compat/);
  });
});

describe('io.l5d.ingress compat linkerd1', () => {
  const opts = { compat: 'linkerd1' } as const;
  const rx = (name: string, rules: RuleSpec[], o: { def?: string; annotation?: string | null } = {}) =>
    ing(name, {
      rules: rules.map((r) => ({
        ...r,
        paths: r.paths.map((p) => ({ ...p, pathType: 'ImplementationSpecific' })),
      })),
      ...o,
    });

  it('matches full-match regex paths; / only matches /', async () => {
    const id = make(
      [
        rx('a', [
          {
            host: 'h',
            paths: [
              { path: '/', svc: 'root' },
              { path: '/foo.*', svc: 'foo' },
              { path: '/b[a-z]+', svc: 'b' },
            ],
          },
        ]),
      ],
      opts,
    );
    expect(await route(id, 'h', '/')).toBe('/svc/default/http/root');
    expect(await route(id, 'h', '/x')).toBe('400:no ingress rule matches');
    expect(await route(id, 'h', '/foo/bar')).toBe('/svc/default/http/foo');
    expect(await route(id, 'h', '/foobar')).toBe('/svc/default/http/foo');
    expect(await route(id, 'h', '/bar')).toBe('/svc/default/http/b');
    expect(await route(id, 'h', '/bar/x')).toBe('400:no ingress rule matches');
  });

  it('compares the host exactly and case-sensitively after dropping the port; no wildcards', async () => {
    const id = make(
      [
        rx('a', [
          { host: 'Foo.com', paths: [{ svc: 'foo' }] },
          { host: '*.bar.com', paths: [{ svc: 'bar' }] },
        ]),
      ],
      opts,
    );
    expect(await route(id, 'Foo.com:80', '/')).toBe('/svc/default/http/foo');
    expect(await route(id, 'foo.com', '/')).toBe('400:no ingress rule matches');
    expect(await route(id, 'x.bar.com', '/')).toBe('400:no ingress rule matches');
    expect(await route(id, '[::1]:80', '/')).toBe('400:unable to parse host for request');
  });

  it('takes the first match in Ingress/rule order, not the longest; MODIFIED re-appends', async () => {
    const a = rx('a', [{ host: 'h', paths: [{ path: '/.*', svc: 'a-all' }] }]);
    const b = rx('b', [{ host: 'h', paths: [{ path: '/api.*', svc: 'b-api' }] }]);
    const hostless = rx('c', [{ paths: [{ path: '/api/v2', svc: 'c-v2' }] }]);
    const id = make([b, hostless, a], opts);
    expect(await route(id, 'h', '/api/v2')).toBe('/svc/default/http/b-api');
    expect(await route(id, 'h', '/x')).toBe('/svc/default/http/a-all');
    const id2 = make([a, b], opts);
    expect(await route(id2, 'h', '/api')).toBe('/svc/default/http/a-all');
  });

  it('claims unannotated Ingresses, uses the first default after all rules miss, answers 400', async () => {
    const d1 = rx('d1', [{ host: 'x', paths: [{ svc: 'x' }] }], { def: 'first', annotation: null });
    const d2 = rx('d2', [{ host: 'y', paths: [{ svc: 'y' }] }], { def: 'second' });
    const nginx = rx('n', [{ host: 'n', paths: [{ svc: 'n' }] }], { annotation: 'nginx' });
    const id = make([d1, d2, nginx], opts);
    expect(await route(id, 'y', '/')).toBe('/svc/default/http/y');
    expect(await route(id, 'z', '/')).toBe('/svc/default/http/first');
    expect(await route(id, 'n', '/')).toBe('/svc/default/http/first');
    const ignoring = make([d1, d2], { ...opts, ignoreDefaultBackends: true });
    expect(await route(ignoring, 'z', '/')).toBe('400:no ingress rule matches');
  });

  it('skips an Ingress whose path is not a valid regex, naming it', async () => {
    const bad = rx('bad', [{ host: 'h', paths: [{ path: '/(unclosed', svc: 'bad' }] }]);
    const good = rx('good', [{ host: 'g', paths: [{ svc: 'good' }] }]);
    const id = make([bad, good], opts);
    expect(await route(id, 'g', '/')).toBe('/svc/default/http/good');
    expect(id.problems()).toHaveLength(1);
    expect(id.problems()[0]).toMatchObject({
      kind: 'invalid',
      object: 'default/bad',
      field: 'spec.rules[0].http.paths[0].path',
    });
  });
});
