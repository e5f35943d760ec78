/**
 * The gateway mode's composition (`identifier: [io.l5d.httproute, io.l5d.ingress]`) with the real
 * identifiers: a request a Gateway route matched but cannot serve gets that route's 500 even when
 * an Ingress rule would take it; one no Gateway route matches falls through to the Ingress.
 */
import type { Identification, RequestHead } from '@switchyard/core';
import { firstIdentified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createHttpRouteIdentifier } from '@switchyard/identifiers/gateway';
import { createIngressIdentifier } from '@switchyard/identifiers/ingress';
import type { KubeObject } from '@switchyard/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainIdentifiers } from './identifier-chain.js';

const G = 'gateway.networking.k8s.io/v1';
const gatewayObjects = [
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
    metadata: { name: 'broken', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: ['shop.test'],
      rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b', port: 1 }] }],
    },
  },
] as unknown as KubeObject[];

const ingressObjects = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'old',
      namespace: 'default',
      annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
    },
    spec: {
      rules: ['shop.test', 'legacy.test'].map((host) => ({
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'old', port: { number: 80 } } } },
          ],
        },
      })),
    },
  },
] as unknown as KubeObject[];

const head = (host: string): RequestHead => ({
  method: 'GET',
  url: '/',
  httpVersion: '1.1',
  headers: { host },
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  secure: false,
});

const show = (r: Identification<RequestHead>) =>
  r.kind === 'identified' ? Path.show(r.path) : `${r.status ?? 400} ${r.reason}`;

describe('chainIdentifiers (gateway mode: io.l5d.httproute, then io.l5d.ingress)', () => {
  const gateway = createHttpRouteIdentifier({ source: { kind: 'static', objects: gatewayObjects } });
  const ingress = createIngressIdentifier({ source: { kind: 'static', objects: ingressObjects } });
  beforeAll(async () => {
    await gateway.synced;
    await ingress.synced;
  });
  afterAll(() => {
    gateway.close();
    ingress.close();
  });

  it('a Gateway route matched with only invalid backends is answered 500, not served by the Ingress', async () => {
    const chain = chainIdentifiers([gateway, ingress]);
    expect(show(await chain(head('shop.test')))).toMatch(
      /^500 HTTPRoute default\/broken rule 0: invalid backends/,
    );
    // What the plain "first identified" composition did (the defect): the Ingress took it.
    expect(show(await firstIdentified([gateway, ingress])(head('shop.test')))).toBe('/svc/default/80/old');
  });

  it('a request no Gateway route matches falls through to the Ingress; unmatched by both is the last answer', async () => {
    const chain = chainIdentifiers([gateway, ingress]);
    expect(show(await chain(head('legacy.test')))).toBe('/svc/default/80/old');
    const none = await chain(head('nowhere.test'));
    expect(none.kind).toBe('unidentified');
    expect(show(none)).toBe(show(await ingress(head('nowhere.test'))));
  });
});
