import type { KubeObject } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { createHttpRouteIdentifier } from './identifier.js';
import { condition, gatewayStatus, httpRouteParents } from './status.js';

const C = 'switchyard.dev/gateway-controller';
const G = 'gateway.networking.k8s.io/v1';
const NOW = '2026-01-01T00:00:00.000Z';

async function state(objects: Record<string, unknown>[]) {
  const id = createHttpRouteIdentifier({
    source: {
      kind: 'static',
      objects: [
        { apiVersion: G, kind: 'GatewayClass', metadata: { name: 'sy' }, spec: { controllerName: C } },
        ...objects,
      ] as unknown as KubeObject[],
    },
  });
  await id.synced;
  id.close();
  return id.state();
}

const gw = {
  apiVersion: G,
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'default', generation: 3 },
  spec: {
    gatewayClassName: 'sy',
    listeners: [
      { name: 'a', port: 80, protocol: 'HTTP', hostname: 'a.test' },
      {
        name: 'b',
        port: 80,
        protocol: 'HTTP',
        hostname: 'b.test',
        allowedRoutes: { kinds: [{ kind: 'TCPRoute' }] },
      },
      {
        name: 'tls',
        port: 443,
        protocol: 'HTTPS',
        tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }] },
      },
    ],
  },
};
const route = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: G,
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default', generation: 7 },
  spec: { rules: [{ backendRefs: [{ name: 'web', port: 80 }] }], ...spec },
});
const summary = (conditions: { type: string; status: string; reason: string }[]) =>
  conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('Gateway API status', () => {
  it('route parents: Accepted reasons per parentRef, observedGeneration, UnsupportedValue for a malformed route', async () => {
    const s = await state([
      gw,
      route('ok', { parentRefs: [{ name: 'gw', sectionName: 'a' }] }),
      route('section', { parentRefs: [{ name: 'gw', sectionName: 'nope' }] }),
      route('kinds', { parentRefs: [{ name: 'gw', sectionName: 'b' }] }),
      route('hosts', { parentRefs: [{ name: 'gw', sectionName: 'a' }], hostnames: ['other.test'] }),
      route('notours', { parentRefs: [{ name: 'someone-elses' }] }),
      route('bad', {
        parentRefs: [{ name: 'gw' }],
        rules: [{ matches: [{ path: { type: 'Exact', value: 'relative' } }] }],
      }),
    ]);
    const reasons = (key: string) => httpRouteParents(s, key, C, NOW).map((p) => summary(p.conditions));
    expect(reasons('default/ok')).toEqual([['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']]);
    expect(reasons('default/section')).toEqual([
      ['Accepted=False/NoMatchingParent', 'ResolvedRefs=True/ResolvedRefs'],
    ]);
    expect(reasons('default/kinds')).toEqual([
      ['Accepted=False/NotAllowedByListeners', 'ResolvedRefs=True/ResolvedRefs'],
    ]);
    expect(reasons('default/hosts')).toEqual([
      ['Accepted=False/NoMatchingListenerHostname', 'ResolvedRefs=True/ResolvedRefs'],
    ]);
    expect(reasons('default/notours')).toEqual([]);
    expect(reasons('default/bad')).toEqual([
      ['Accepted=False/UnsupportedValue', 'ResolvedRefs=True/ResolvedRefs'],
    ]);
    expect(httpRouteParents(s, 'default/ok', C, NOW)[0]!.conditions[0]!.observedGeneration).toBe(7);
  });

  it('listeners: attachedRoutes, invalid kinds, certificate refs without a grant; Gateway stays Accepted', async () => {
    const s = await state([gw, route('one', { parentRefs: [{ name: 'gw' }], hostnames: ['a.test'] })]);
    const st = gatewayStatus(s, 'default/gw', NOW)!;
    expect(summary(st.conditions)).toEqual(['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    expect(st.listeners.map((l) => [l.name, l.attachedRoutes, summary(l.conditions)])).toEqual([
      ['a', 1, ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed']],
      [
        'b',
        0,
        ['Accepted=True/Accepted', 'ResolvedRefs=False/InvalidRouteKinds', 'Programmed=False/Invalid'],
      ],
      // No hostname on this listener: the route's a.test intersects it, so it attaches here too.
      [
        'tls',
        1,
        ['Accepted=True/Accepted', 'ResolvedRefs=False/RefNotPermitted', 'Programmed=False/Invalid'],
      ],
    ]);
    expect(st.conditions[0]!.observedGeneration).toBe(3);
  });

  it('keeps lastTransitionTime while the status holds', () => {
    const before = [condition('Accepted', 'True', 'Accepted', '', 1, 'then', undefined)];
    expect(condition('Accepted', 'True', 'Accepted', '', 2, 'now', before).lastTransitionTime).toBe('then');
    expect(condition('Accepted', 'False', 'X', '', 2, 'now', before).lastTransitionTime).toBe('now');
  });
});
