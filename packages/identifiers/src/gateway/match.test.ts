import type { Identification, RequestHead } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { createHttpRouteIdentifier } from './identifier.js';
import type { HttpRouteIdentifierOptions } from './identifier-api.js';

const CONTROLLER = 'switchyard.dev/gateway-controller';

function gatewayClass(name = 'sy', controllerName = CONTROLLER): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name },
    spec: { controllerName },
  } as KubeObject;
}

type Listener = Record<string, unknown>;

function gateway(
  name: string,
  listeners: Listener[],
  o: { ns?: string; className?: string } = {},
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: o.ns ?? 'default' },
    spec: { gatewayClassName: o.className ?? 'sy', listeners },
  } as KubeObject;
}

const http80: Listener = { name: 'http', port: 80, protocol: 'HTTP' };

function route(
  name: string,
  spec: Record<string, unknown>,
  o: { ns?: string; created?: string; parent?: Record<string, unknown>[] } = {},
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: o.ns ?? 'default', creationTimestamp: o.created ?? '2024-01-01T00:00:00Z' },
    spec: { parentRefs: o.parent ?? [{ name: 'gw', namespace: 'default' }], ...spec },
  } as KubeObject;
}

const to = (svc: string, port = 80, extra: Record<string, unknown> = {}) => ({ name: svc, port, ...extra });

function head(url: string, headers: Record<string, string | string[]> = {}, method = 'GET'): RequestHead {
  return {
    method,
    url,
    httpVersion: '1.1',
    headers: { host: 'example.com', ...headers },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    secure: false,
  };
}

async function start(objects: KubeObject[], options: Partial<HttpRouteIdentifierOptions> = {}) {
  const id = createHttpRouteIdentifier({
    source: { kind: 'static', objects: [gatewayClass(), ...objects] },
    ...options,
  });
  await id.synced;
  return id;
}

function named(r: Identification<RequestHead>): string {
  return r.kind === 'identified' ? Path.show(r.path) : `${r.status} ${r.reason}`;
}

async function names(
  objects: KubeObject[],
  reqs: RequestHead[],
  options: Partial<HttpRouteIdentifierOptions> = {},
) {
  const id = await start(objects, options);
  const out: string[] = [];
  for (const r of reqs) out.push(named(await id(r)));
  id.close();
  return out;
}

describe('io.l5d.httproute matching', () => {
  it('names the backend /svc/<namespace>/<port>/<service>, and 404s when nothing matches', async () => {
    const out = await names(
      [
        gateway('gw', [http80]),
        route('r', {
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/app' } }], backendRefs: [to('web', 8080)] },
          ],
        }),
      ],
      [head('/app/x'), head('/other')],
    );
    expect(out).toEqual(['/svc/default/8080/web', '404 no HTTPRoute rule matches']);
  });

  it('applies the CRD defaults: no rules/matches/path is PathPrefix /, weight 1, header match Exact', async () => {
    const out = await names(
      [
        gateway('gw', [http80]),
        route('all', { rules: [{ backendRefs: [to('all')] }] }),
        route('h', {
          rules: [
            { matches: [{ headers: [{ name: 'X-Env', value: 'canary' }] }], backendRefs: [to('canary')] },
          ],
        }),
      ],
      [head('/anything'), head('/', { 'x-env': 'canary' })],
    );
    expect(out).toEqual(['/svc/default/80/all', '/svc/default/80/canary']);
  });

  it('PathPrefix matches whole path elements and ignores a trailing slash', async () => {
    const objs = [
      gateway('gw', [http80]),
      route('r', {
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/foo/' } }], backendRefs: [to('foo')] },
          { matches: [{ path: { type: 'Exact', value: '/exact' } }], backendRefs: [to('exact')] },
        ],
      }),
    ];
    const out = await names(objs, [
      head('/foo'),
      head('/foo/'),
      head('/foo/bar?q=1'),
      head('/foobar'),
      head('/exact'),
      head('/exact/'),
      head('/exact?x'),
    ]);
    expect(out).toEqual([
      '/svc/default/80/foo',
      '/svc/default/80/foo',
      '/svc/default/80/foo',
      '404 no HTTPRoute rule matches',
      '/svc/default/80/exact',
      '404 no HTTPRoute rule matches',
      '/svc/default/80/exact',
    ]);
  });

  it('RegularExpression paths match the whole path', async () => {
    const out = await names(
      [
        gateway('gw', [http80]),
        route('r', {
          rules: [
            {
              matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' } }],
              backendRefs: [to('re')],
            },
          ],
        }),
      ],
      [head('/v2/items'), head('/x/v2/items'), head('/v2')],
    );
    expect(out).toEqual([
      '/svc/default/80/re',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
    ]);
  });

  it('headers (case-insensitive names), query params and method are ANDed within a match, ORed across', async () => {
    const objs = [
      gateway('gw', [http80]),
      route('r', {
        rules: [
          {
            matches: [
              {
                headers: [
                  { name: 'X-A', value: '1' },
                  { name: 'x-b', type: 'RegularExpression', value: 'b+' },
                ],
                queryParams: [{ name: 'q', value: 'yes' }],
                method: 'POST',
              },
              { path: { type: 'Exact', value: '/or' } },
            ],
            backendRefs: [to('and')],
          },
        ],
      }),
    ];
    const out = await names(objs, [
      head('/?q=yes', { 'x-a': '1', 'x-b': 'bbb' }, 'POST'),
      head('/?q=yes', { 'x-a': '1', 'x-b': 'bbb' }, 'GET'),
      head('/?q=no', { 'x-a': '1', 'x-b': 'bbb' }, 'POST'),
      head('/?q=yes', { 'x-a': '1', 'x-b': 'bbc' }, 'POST'),
      head('/?q=yes', { 'x-b': 'b' }, 'POST'),
      head('/or'),
    ]);
    expect(out).toEqual([
      '/svc/default/80/and',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
      '/svc/default/80/and',
    ]);
  });

  it('orders across routes: Exact, longest prefix, method, headers, query, oldest, name, rule order', async () => {
    const objs = [
      gateway('gw', [http80]),
      route('a-prefix', { rules: [{ matches: [{ path: { value: '/p' } }], backendRefs: [to('prefix')] }] }),
      route('b-longer', { rules: [{ matches: [{ path: { value: '/p/q' } }], backendRefs: [to('longer')] }] }),
      route('c-exact', {
        rules: [{ matches: [{ path: { type: 'Exact', value: '/p/q' } }], backendRefs: [to('exact')] }],
      }),
      route('d-method', {
        rules: [{ matches: [{ path: { value: '/m' }, method: 'GET' }], backendRefs: [to('method')] }],
      }),
      route('e-headers', {
        rules: [
          {
            matches: [{ path: { value: '/m' }, headers: [{ name: 'a', value: '1' }] }],
            backendRefs: [to('one-header')],
          },
          {
            matches: [
              {
                path: { value: '/h' },
                headers: [
                  { name: 'a', value: '1' },
                  { name: 'b', value: '2' },
                ],
              },
            ],
            backendRefs: [to('two')],
          },
          {
            matches: [{ path: { value: '/h' }, headers: [{ name: 'a', value: '1' }] }],
            backendRefs: [to('one')],
          },
        ],
      }),
      route('f-query', {
        rules: [
          {
            matches: [
              {
                path: { value: '/h' },
                headers: [{ name: 'a', value: '1' }],
                queryParams: [{ name: 'q', value: '1' }],
              },
            ],
            backendRefs: [to('query')],
          },
        ],
      }),
      route(
        'z-old',
        { rules: [{ matches: [{ path: { value: '/t' } }], backendRefs: [to('old')] }] },
        { created: '2020-01-01T00:00:00Z' },
      ),
      route('y-new', { rules: [{ matches: [{ path: { value: '/t' } }], backendRefs: [to('new')] }] }),
      route('x-alpha', {
        rules: [
          { matches: [{ path: { value: '/u' } }], backendRefs: [to('x')] },
          { matches: [{ path: { value: '/u' } }], backendRefs: [to('x2')] },
        ],
      }),
      route('w-alpha', { rules: [{ matches: [{ path: { value: '/u' } }], backendRefs: [to('w')] }] }),
    ];
    const out = await names(objs, [
      head('/p/q'),
      head('/p/q/r'),
      head('/p/x'),
      head('/m', { a: '1' }, 'GET'),
      head('/m', { a: '1' }, 'PUT'),
      head('/h', { a: '1', b: '2' }),
      head('/h?q=1', { a: '1' }),
      head('/h', { a: '1' }),
      head('/t'),
      head('/u'),
    ]);
    expect(out).toEqual([
      '/svc/default/80/exact',
      '/svc/default/80/longer',
      '/svc/default/80/prefix',
      '/svc/default/80/method',
      '/svc/default/80/one-header',
      '/svc/default/80/two',
      '/svc/default/80/query',
      '/svc/default/80/one',
      '/svc/default/80/old',
      '/svc/default/80/w',
    ]);
  });

  it('hostnames: listener ∩ route, wildcards span one or more labels, most specific wins, port ignored', async () => {
    const objs = [
      gateway('gw', [
        { name: 'wild', port: 80, protocol: 'HTTP', hostname: '*.example.com' },
        { name: 'any', port: 80, protocol: 'HTTP' },
      ]),
      route(
        'exact',
        { hostnames: ['foo.example.com'], rules: [{ backendRefs: [to('foo')] }] },
        { parent: [{ name: 'gw', sectionName: 'wild' }] },
      ),
      route(
        'wild',
        { hostnames: ['*.example.com'], rules: [{ backendRefs: [to('wild')] }] },
        { parent: [{ name: 'gw', sectionName: 'wild' }] },
      ),
      route(
        'deeper',
        {
          hostnames: ['*.bar.example.com'],
          rules: [{ matches: [{ path: { value: '/only' } }], backendRefs: [to('deeper')] }],
        },
        { parent: [{ name: 'gw', sectionName: 'wild' }] },
      ),
      route(
        'outside',
        { hostnames: ['other.org'], rules: [{ backendRefs: [to('other')] }] },
        { parent: [{ name: 'gw', sectionName: 'wild' }] },
      ),
      route(
        'nohost',
        { rules: [{ matches: [{ path: { value: '/any' } }], backendRefs: [to('any')] }] },
        { parent: [{ name: 'gw', sectionName: 'any' }] },
      ),
    ];
    const out = await names(objs, [
      head('/', { host: 'FOO.example.com:8080' }),
      head('/', { host: 'a.b.example.com' }),
      head('/only', { host: 'x.bar.example.com' }),
      head('/', { host: 'x.bar.example.com' }),
      head('/', { host: 'example.com' }),
      head('/', { host: 'other.org' }),
      head('/any', { host: '10.0.0.1' }),
      head('/any', { host: 'example.com' }),
      head('/any', { host: 'foo.example.com' }),
    ]);
    expect(out).toEqual([
      '/svc/default/80/foo',
      '/svc/default/80/wild',
      '/svc/default/80/deeper',
      '/svc/default/80/wild',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
      '/svc/default/80/any',
      '/svc/default/80/any',
      // The exact-hostname route has no /any rule; the less specific routes still apply.
      '/svc/default/80/foo',
    ]);
  });

  it('weighted backends become a dtab union; weight 0 is never picked; all 0 or no backends → 500', async () => {
    const id = await start([
      gateway('gw', [http80]),
      route('split', {
        rules: [
          {
            matches: [{ path: { value: '/split' } }],
            backendRefs: [to('a', 80, { weight: 3 }), to('b', 80, { weight: 1 }), to('c', 80, { weight: 0 })],
          },
          { matches: [{ path: { value: '/zero' } }], backendRefs: [to('a', 80, { weight: 0 })] },
          { matches: [{ path: { value: '/none' } }] },
          { matches: [{ path: { value: '/one' } }], backendRefs: [to('a', 80, { weight: 0 }), to('b')] },
        ],
      }),
    ]);
    const split = await id(head('/split'));
    expect(split.kind).toBe('identified');
    if (split.kind !== 'identified') throw new Error('unreachable');
    expect(Path.show(split.path)).toBe('/gw/default/split/0');
    expect(Dtab.show(split.dtab!)).toBe('/gw/default/split/0=>3.00*/svc/default/80/a & /svc/default/80/b');
    // The same Dtab object for every request (routers cache by it).
    const again = await id(head('/split'));
    expect(again.kind === 'identified' && again.dtab).toBe(split.dtab);
    expect(named(await id(head('/zero')))).toMatch(/^500 .*weight 0/);
    expect(named(await id(head('/none')))).toMatch(/^500 .*no backendRefs/);
    const one = await id(head('/one'));
    expect(named(one)).toBe('/svc/default/80/b');
    expect(one.kind === 'identified' && one.dtab).toBeUndefined();
    id.close();
  });

  it('cross-namespace backends need a ReferenceGrant; non-Service kinds are invalid (500 for their share)', async () => {
    const grant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'other' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
        to: [{ group: '', kind: 'Service', name: 'allowed' }],
      },
    } as KubeObject;
    const objs = [
      gateway('gw', [http80]),
      route('r', {
        rules: [
          {
            matches: [{ path: { value: '/allowed' } }],
            backendRefs: [to('allowed', 80, { namespace: 'other' })],
          },
          {
            matches: [{ path: { value: '/denied' } }],
            backendRefs: [to('denied', 80, { namespace: 'other' })],
          },
          {
            matches: [{ path: { value: '/kind' } }],
            backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b' }],
          },
        ],
      }),
    ];
    expect(await names(objs, [head('/allowed'), head('/denied')])).toEqual([
      '500 HTTPRoute default/r rule 0: invalid backends (Service other/allowed: RefNotPermitted)',
      '500 HTTPRoute default/r rule 1: invalid backends (Service other/denied: RefNotPermitted)',
    ]);
    const withGrant = await names([...objs, grant], [head('/allowed'), head('/denied'), head('/kind')]);
    expect(withGrant[0]).toBe('/svc/other/80/allowed');
    expect(withGrant[1]).toMatch(/^500 .*RefNotPermitted/);
    expect(withGrant[2]).toMatch(/^500 .*Bucket default\/b: InvalidKind/);
  });

  it('a rule with several granted cross-namespace backends keeps them all (the grants are read per backend)', async () => {
    const grant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'other' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }],
        to: [{ group: '', kind: 'Service' }],
      },
    } as KubeObject;
    const id = await start([
      grant,
      gateway('gw', [http80]),
      route('r', {
        rules: [{ backendRefs: [to('a', 80, { namespace: 'other' }), to('b', 80, { namespace: 'other' })] }],
      }),
    ]);
    const r = await id(head('/'));
    expect(named(r)).toBe('/gw/default/r/0');
    expect(r.kind === 'identified' && r.dtab && Dtab.show(r.dtab)).toBe(
      '/gw/default/r/0=>/svc/other/80/a & /svc/other/80/b',
    );
    expect(id.rules().map((v) => v.target)).toEqual(['/gw/default/r/0']);
    id.close();
  });

  it('answers 500 for the share of invalid backends in a mixed rule', async () => {
    let draw = 0;
    const id = await start(
      [
        gateway('gw', [http80]),
        route('r', {
          rules: [
            {
              backendRefs: [
                to('ok', 80, { weight: 1 }),
                to('bad', 80, { weight: 1, namespace: 'elsewhere' }),
              ],
            },
          ],
        }),
      ],
      { random: () => draw },
    );
    draw = 0.25;
    expect(named(await id(head('/')))).toMatch(/^500 .*invalid backend/);
    draw = 0.75;
    expect(named(await id(head('/')))).toBe('/svc/default/80/ok');
    id.close();
  });
});

describe('io.l5d.httproute ownership and attachment', () => {
  it('serves only Gateways of classes with our controllerName (or the named gatewayClassName)', async () => {
    const objs = [
      gatewayClass('theirs', 'example.com/other'),
      gateway('gw', [http80]),
      gateway('gw2', [http80], { className: 'theirs' }),
      route('mine', { rules: [{ matches: [{ path: { value: '/mine' } }], backendRefs: [to('mine')] }] }),
      route('theirs', { rules: [{ backendRefs: [to('theirs')] }] }, { parent: [{ name: 'gw2' }] }),
    ];
    expect(await names(objs, [head('/mine'), head('/x')])).toEqual([
      '/svc/default/80/mine',
      '404 no HTTPRoute rule matches',
    ]);
    expect(await names(objs, [head('/mine'), head('/x')], { gatewayClassName: 'theirs' })).toEqual([
      '/svc/default/80/theirs',
      '/svc/default/80/theirs',
    ]);
    expect(await names(objs, [head('/mine')], { controllerName: 'example.com/nobody' })).toEqual([
      '404 no HTTPRoute rule matches',
    ]);
  });

  it('allowedRoutes: Same (default), All, Selector by namespace labels; kinds', async () => {
    const ns = (name: string, labels: Record<string, string>) =>
      ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) as KubeObject;
    const objs = [
      ns('team-a', { shared: 'yes' }),
      ns('team-b', {}),
      gateway('gw', [
        { name: 'same', port: 80, protocol: 'HTTP', hostname: 'same.test' },
        {
          name: 'all',
          port: 80,
          protocol: 'HTTP',
          hostname: 'all.test',
          allowedRoutes: { namespaces: { from: 'All' } },
        },
        {
          name: 'sel',
          port: 80,
          protocol: 'HTTP',
          hostname: 'sel.test',
          allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { shared: 'yes' } } } },
        },
        {
          name: 'grpc-only',
          port: 80,
          protocol: 'HTTP',
          hostname: 'grpc.test',
          allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] },
        },
      ]),
      route(
        'a',
        { rules: [{ backendRefs: [to('a')] }] },
        { ns: 'team-a', parent: [{ name: 'gw', namespace: 'default' }] },
      ),
      route(
        'b',
        { rules: [{ backendRefs: [to('b')] }] },
        { ns: 'team-b', parent: [{ name: 'gw', namespace: 'default' }] },
      ),
      route(
        'd',
        { rules: [{ backendRefs: [to('d')] }] },
        {
          parent: [
            { name: 'gw', sectionName: 'same' },
            { name: 'gw', sectionName: 'grpc-only' },
          ],
        },
      ),
    ];
    const id = await start(objs);
    const at = async (h: string) => named(await id(head('/', { host: h })));
    expect(await at('same.test')).toBe('/svc/default/80/d');
    expect(await at('all.test')).toBe('/svc/team-a/80/a'); // team-a and team-b: same age, a < b
    expect(await at('sel.test')).toBe('/svc/team-a/80/a');
    expect(await at('grpc.test')).toBe('404 no HTTPRoute rule matches');
    const parents = id.state().parents.get('team-b/b')!;
    expect(parents.map((p) => p.reason)).toEqual(['Accepted']); // attached to `all` only
    expect(parents[0]!.attachments.map((a) => a.listener.name)).toEqual(['all']);
    const d = id.state().parents.get('default/d')!;
    expect(d.map((p) => p.reason)).toEqual(['Accepted', 'NotAllowedByListeners']);
    id.close();
  });

  it('parentRef port and sectionName select listeners; ports limits the served listeners', async () => {
    const objs = [
      gateway('gw', [
        { name: 'web', port: 80, protocol: 'HTTP', hostname: 'web.test' },
        { name: 'alt', port: 8080, protocol: 'HTTP', hostname: 'alt.test' },
      ]),
      route('r', { rules: [{ backendRefs: [to('r')] }] }, { parent: [{ name: 'gw', port: 8080 }] }),
      route(
        'missing',
        { rules: [{ backendRefs: [to('m')] }] },
        { parent: [{ name: 'gw', sectionName: 'nope' }] },
      ),
    ];
    expect(await names(objs, [head('/', { host: 'alt.test' }), head('/', { host: 'web.test' })])).toEqual([
      '/svc/default/80/r',
      '404 no HTTPRoute rule matches',
    ]);
    expect(await names(objs, [head('/', { host: 'alt.test' })], { ports: [80] })).toEqual([
      '404 no HTTPRoute rule matches',
    ]);
    const id = await start(objs);
    expect(
      id
        .state()
        .parents.get('default/missing')!
        .map((p) => p.reason),
    ).toEqual(['NoMatchingParent']);
    id.close();
  });

  it('reports a malformed route (bad regex) and keeps serving the others', async () => {
    const id = await start([
      gateway('gw', [http80]),
      route('bad', {
        rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }], backendRefs: [to('bad')] }],
      }),
      route('good', { rules: [{ backendRefs: [to('good')] }] }),
    ]);
    expect(named(await id(head('/x')))).toBe('/svc/default/80/good');
    expect(id.problems()).toEqual([
      expect.objectContaining({
        kind: 'invalid',
        object: 'HTTPRoute default/bad',
        field: 'spec.rules[0].matches[0].path.value',
      }),
    ]);
    id.close();
  });

  it('exposes HTTPS listener certificates, cross-namespace ones only with a ReferenceGrant', async () => {
    const id = await start([
      gateway('gw', [
        {
          name: 'https',
          port: 443,
          protocol: 'HTTPS',
          hostname: 'secure.test',
          tls: { certificateRefs: [{ name: 'own' }, { name: 'far', namespace: 'certs' }] },
        },
      ]),
    ]);
    expect(id.tlsSecrets.sample().map((s) => `${s.namespace}/${s.secretName} ${s.hosts.join(',')}`)).toEqual([
      'default/own secure.test',
    ]);
    id.close();
  });
});

describe('io.l5d.httproute listeners by arrival port', () => {
  const twoListeners = () => [
    gateway('gw', [
      { name: 'web', port: 80, protocol: 'HTTP' },
      { name: 'admin', port: 8080, protocol: 'HTTP' },
    ]),
    route('web', { rules: [{ backendRefs: [to('web')] }] }, { parent: [{ name: 'gw', sectionName: 'web' }] }),
    route(
      'admin',
      {
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/admin' } }], backendRefs: [to('admin')] }],
      },
      { parent: [{ name: 'gw', sectionName: 'admin' }] },
    ),
  ];
  const at = (url: string, localPort?: number) => ({ ...head(url), ...(localPort ? { localPort } : {}) });

  it('matches a request only against routes of listeners on the port it arrived on', async () => {
    const out = await names(twoListeners(), [
      at('/admin/x', 80),
      at('/admin/x', 8080),
      at('/', 8080),
      at('/', 80),
    ]);
    expect(out).toEqual([
      '/svc/default/80/web',
      '/svc/default/80/admin',
      '404 no HTTPRoute rule matches',
      '/svc/default/80/web',
    ]);
  });

  it('without a served-ports list, a port no listener has (a Service mapping 80 to 4140) sees every listener', async () => {
    const out = await names(twoListeners(), [at('/admin/x', 4140), at('/', 4140), at('/admin/x')]);
    expect(out).toEqual(['/svc/default/80/admin', '/svc/default/80/web', '/svc/default/80/admin']);
  });

  it('with ports, only those listeners are served and other arrival ports match nothing', async () => {
    const out = await names(twoListeners(), [at('/admin/x', 8080), at('/', 80), at('/', 4140)], {
      ports: [8080],
    });
    expect(out).toEqual([
      '/svc/default/80/admin',
      '404 no HTTPRoute rule matches',
      '404 no HTTPRoute rule matches',
    ]);
  });

  it('one route on listeners of two ports is found through either, with each listener hostname', async () => {
    const out = await names(
      [
        gateway('gw', [
          { name: 'a', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
          { name: 'b', port: 81, protocol: 'HTTP', hostname: 'b.example.com' },
        ]),
        route('r', { rules: [{ backendRefs: [to('r')] }] }),
      ],
      [
        { ...at('/', 80), headers: { host: 'a.example.com' } },
        { ...at('/', 81), headers: { host: 'a.example.com' } },
        { ...at('/', 81), headers: { host: 'b.example.com' } },
      ],
    );
    expect(out).toEqual(['/svc/default/80/r', '404 no HTTPRoute rule matches', '/svc/default/80/r']);
  });
});
