/**
 * Per-rule timeouts and RequestMirror as data on the identification: parsing (GEP-2257 durations,
 * the CRD's checks, with the field named), the per-request mirror draw, invalid mirror backends
 * dropped, and rules without either identified exactly as before.
 */
import type { Identification, RequestHead } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { httpRouteActionsOf } from './actions.js';
import { createHttpRouteIdentifier } from './identifier.js';
import type { HttpRouteIdentifierOptions } from './identifier-api.js';
import { parseGatewayDuration } from './timeouts.js';

const G = 'gateway.networking.k8s.io/v1';
const objects = (rules: unknown[]): KubeObject[] =>
  [
    {
      apiVersion: G,
      kind: 'GatewayClass',
      metadata: { name: 'sy' },
      spec: { controllerName: 'switchyard.dev/gateway-controller' },
    },
    {
      apiVersion: G,
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'default' },
      spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    },
    {
      apiVersion: G,
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'default' },
      spec: { parentRefs: [{ name: 'gw' }], rules },
    },
  ] as unknown as KubeObject[];

const head = (url = '/'): RequestHead => ({
  method: 'GET',
  url,
  httpVersion: '1.1',
  headers: { host: 'example.com' },
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  secure: false,
});

async function identify(rules: unknown[], options: Partial<HttpRouteIdentifierOptions> = {}, url = '/') {
  const id = createHttpRouteIdentifier({ source: { kind: 'static', objects: objects(rules) }, ...options });
  await id.synced;
  const r: Identification<RequestHead> = await id(head(url));
  const problems = id.problems();
  id.close();
  return { r, problems };
}

const backend = { name: 'web', port: 80 };

describe('Gateway API durations (GEP-2257)', () => {
  it('parses one to four parts and rejects everything else', () => {
    expect(parseGatewayDuration('10s')).toBe(10_000);
    expect(parseGatewayDuration('1h30m')).toBe(5_400_000);
    expect(parseGatewayDuration('500ms')).toBe(500);
    expect(parseGatewayDuration('1m1s1ms')).toBe(61_001);
    expect(parseGatewayDuration('0s')).toBe(0);
    for (const bad of ['', '10', '1.5s', '-1s', '1d', '123456s', '1h1h1h1h1h', ' 1s', '1S'])
      expect(parseGatewayDuration(bad), bad).toMatch(/is not a duration/);
  });

  it('the value is the sum of the parts (property)', () => {
    const unit = fc.constantFrom(['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 99_999 }), unit), { minLength: 1, maxLength: 4 }),
        (parts) => {
          const text = parts.map(([n, [u]]) => `${n}${u}`).join('');
          const sum = parts.reduce((acc, [n, [, ms]]) => acc + n * (ms as number), 0);
          expect(parseGatewayDuration(text)).toBe(sum);
        },
      ),
    );
  });
});

describe('HTTPRoute rule timeouts on the identification', () => {
  it('carries request and backendRequest in ms, with the route and rule', async () => {
    const { r } = await identify([
      { backendRefs: [backend], timeouts: { request: '10s', backendRequest: '500ms' } },
    ]);
    expect(r.kind === 'identified' && Path.show(r.path)).toBe('/svc/default/80/web');
    expect(httpRouteActionsOf(r)).toEqual({
      route: 'default/r',
      rule: 0,
      timeouts: { requestMs: 10_000, backendRequestMs: 500 },
      mirrors: [],
    });
  });

  it('0s disables a timeout; a rule without timeouts or mirrors has no actions at all', async () => {
    const zero = await identify([
      { backendRefs: [backend], timeouts: { request: '0s', backendRequest: '2s' } },
    ]);
    expect(httpRouteActionsOf(zero.r)?.timeouts).toEqual({ requestMs: undefined, backendRequestMs: 2000 });
    const none = await identify([{ backendRefs: [backend], timeouts: { request: '0s' } }]);
    expect(none.r.kind).toBe('identified');
    expect(httpRouteActionsOf(none.r)).toBeUndefined();
    expect(Object.keys(none.r)).toEqual(['kind', 'path', 'request']);
  });

  it('a malformed timeout skips the route, naming the field', async () => {
    const longer = await identify([
      { backendRefs: [backend], timeouts: { request: '1s', backendRequest: '2s' } },
    ]);
    expect(longer.r.kind === 'unidentified' && longer.r.status).toBe(404);
    expect(longer.problems).toEqual([
      {
        kind: 'invalid',
        object: 'HTTPRoute default/r',
        field: 'spec.rules[0].timeouts.backendRequest',
        message: expect.stringContaining('must not be longer than timeouts.request'),
      },
    ]);
    const bad = await identify([{ backendRefs: [backend], timeouts: { request: '1.5s' } }]);
    expect(bad.problems[0]).toMatchObject({ field: 'spec.rules[0].timeouts.request' });
  });
});

describe('HTTPRoute RequestMirror on the identification', () => {
  const mirror = (
    extra: Record<string, unknown> = {},
    ref: Record<string, unknown> = { name: 'shadow', port: 8080 },
  ) => ({
    backendRefs: [backend],
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef: ref, ...extra } }],
  });

  it('names the mirror backend like a backend, for every request without a share', async () => {
    const { r } = await identify([mirror()]);
    expect(r.kind === 'identified' && Path.show(r.path)).toBe('/svc/default/80/web');
    expect(httpRouteActionsOf(r)?.mirrors.map(Path.show)).toEqual(['/svc/default/8080/shadow']);
    expect(httpRouteActionsOf(r)?.timeouts).toBeUndefined();
  });

  it('carries the mirror option as RouteActions.mirrorLimits when the request has mirrors', async () => {
    const limits = { maxInFlight: 3, maxBodyBytes: 1024, timeoutMs: 500 };
    const { r } = await identify([mirror()], { mirror: limits });
    expect(r.kind === 'identified' && r.actions?.mirrorLimits).toEqual(limits);
    // Not drawn this time: no copies, no limits.
    const none = await identify([mirror({ percent: 10 })], { mirror: limits, random: () => 0.5 });
    expect(none.r.kind === 'identified' && none.r.actions).toMatchObject({ mirrors: [] });
    expect(none.r.kind === 'identified' && none.r.actions?.mirrorLimits).toBeUndefined();
    for (const [field, value] of [
      ['maxInFlight', 0],
      ['maxBodyBytes', -1],
      ['timeoutMs', 1.5],
    ] as const)
      expect(() => createHttpRouteIdentifier({ mirror: { [field]: value } })).toThrow(
        new RegExp(`mirror\\.${field}.*must be an integer`),
      );
  });

  it('percent and fraction are drawn per request with the random option', async () => {
    const drawn = async (extra: Record<string, unknown>, draw: number) =>
      httpRouteActionsOf((await identify([mirror(extra)], { random: () => draw })).r)?.mirrors.length;
    expect(await drawn({ percent: 25 }, 0.2)).toBe(1);
    expect(await drawn({ percent: 25 }, 0.3)).toBe(0);
    expect(await drawn({ fraction: { numerator: 1, denominator: 3 } }, 0.3)).toBe(1);
    expect(await drawn({ fraction: { numerator: 1, denominator: 3 } }, 0.34)).toBe(0);
    expect(await drawn({ fraction: { numerator: 5 } }, 0.049)).toBe(1);
  });

  it('a mirror to another namespace without a ReferenceGrant, or of another kind, is dropped; the request still routes', async () => {
    const { r } = await identify([
      {
        backendRefs: [backend],
        filters: [
          {
            type: 'RequestMirror',
            requestMirror: { backendRef: { name: 's', namespace: 'other', port: 80 } },
          },
          {
            type: 'RequestMirror',
            requestMirror: { backendRef: { group: 'example.com', kind: 'Bucket', name: 'b' } },
          },
        ],
      },
    ]);
    expect(r.kind === 'identified' && Path.show(r.path)).toBe('/svc/default/80/web');
    expect(httpRouteActionsOf(r)).toBeUndefined();
  });

  it('a malformed mirror skips the route, naming the field', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ percent: 101 }, { name: 's', port: 80 }, 'spec.rules[0].filters[0].requestMirror'],
      [
        { percent: 1, fraction: { numerator: 1 } },
        { name: 's', port: 80 },
        'spec.rules[0].filters[0].requestMirror',
      ],
      [{}, { name: 's' }, 'spec.rules[0].filters[0].requestMirror.backendRef.port'],
      [{}, { port: 80 }, 'spec.rules[0].filters[0].requestMirror.backendRef.name'],
    ];
    for (const [extra, ref, field] of cases) {
      const { r, problems } = await identify([mirror(extra, ref)]);
      expect(r.kind).toBe('unidentified');
      expect(problems[0]).toMatchObject({ kind: 'invalid', field });
    }
  });
});
