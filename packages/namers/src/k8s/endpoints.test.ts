import type { EndpointSlice, Endpoints, Service } from '@switchyard/k8s';
import { describe, expect, it } from 'vitest';
import { endpointsAddresses, resolveServicePort, sliceAddresses } from './endpoints.js';

const svc: Service = {
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    ports: [
      { name: 'http', port: 80, targetPort: 'web' },
      { name: 'admin', port: 9990, targetPort: 9991 },
      { name: 'plain', port: 7000 },
    ],
  },
};

const hp = (xs: { host: string; port: number }[]) => xs.map((x) => `${x.host}:${x.port}`);

describe('resolveServicePort', () => {
  it('matches a number against spec.ports[].port and a name against spec.ports[].name', () => {
    expect(resolveServicePort(svc, '80')?.name).toBe('http');
    expect(resolveServicePort(svc, 'admin')?.port).toBe(9990);
    expect(resolveServicePort(svc, '8080')).toBeUndefined();
    expect(resolveServicePort(svc, 'grpc')).toBeUndefined();
  });
});

describe('sliceAddresses', () => {
  const slice = (
    ports: EndpointSlice['ports'],
    ips: string[],
    family: 'IPv4' | 'IPv6' = 'IPv4',
  ): EndpointSlice => ({
    metadata: { name: 's' },
    addressType: family,
    ports,
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
  });

  it('uses the slice port named like the Service port (a named targetPort resolved per pod)', () => {
    const a = slice([{ name: 'http', port: 8080 }], ['10.0.0.2', '10.0.0.1']);
    const b = slice([{ name: 'http', port: 8081 }], ['10.0.0.3']);
    expect(hp(sliceAddresses(resolveServicePort(svc, 'http')!, [a, b]))).toEqual([
      '10.0.0.1:8080',
      '10.0.0.2:8080',
      '10.0.0.3:8081',
    ]);
  });

  it('falls back to a numeric targetPort (or the port) only for slices listing no ports', () => {
    const none = slice(undefined, ['10.0.0.1']);
    const other = slice([{ name: 'http', port: 8080 }], ['10.0.0.2']);
    expect(hp(sliceAddresses(resolveServicePort(svc, 'admin')!, [none, other]))).toEqual(['10.0.0.1:9991']);
    expect(hp(sliceAddresses(resolveServicePort(svc, 'plain')!, [none]))).toEqual(['10.0.0.1:7000']);
    // Named targetPort and no slice port: nothing to dial.
    expect(sliceAddresses(resolveServicePort(svc, 'http')!, [none])).toEqual([]);
  });

  it('treats a nil ready as ready and drops not-ready and terminating endpoints', () => {
    const s: EndpointSlice = {
      metadata: { name: 's' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [
        { addresses: ['10.0.0.1'] },
        { addresses: ['10.0.0.2'], conditions: { ready: true } },
        { addresses: ['10.0.0.3'], conditions: { ready: false } },
        { addresses: ['10.0.0.4'], conditions: { ready: false, serving: true, terminating: true } },
      ],
    };
    expect(hp(sliceAddresses(resolveServicePort(svc, 'http')!, [s]))).toEqual([
      '10.0.0.1:8080',
      '10.0.0.2:8080',
    ]);
  });

  it('gives each pod one address in dual stack, in family preference order; FQDN slices ignored', () => {
    const v4: EndpointSlice = {
      metadata: { name: 'v4' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }],
      endpoints: [{ addresses: ['10.0.0.1'], targetRef: { uid: 'a' } }],
    };
    const v6: EndpointSlice = {
      metadata: { name: 'v6' },
      addressType: 'IPv6',
      ports: [{ name: 'http', port: 80 }],
      endpoints: [
        { addresses: ['fd00::1'], targetRef: { uid: 'a' } },
        { addresses: ['fd00::2'], targetRef: { uid: 'b' } },
      ],
    };
    const fqdn: EndpointSlice = {
      metadata: { name: 'f' },
      addressType: 'FQDN',
      endpoints: [{ addresses: ['x.example'] }],
    };
    const sp = { name: 'http', port: 80 };
    expect(hp(sliceAddresses(sp, [v6, v4, fqdn]))).toEqual(['10.0.0.1:80', 'fd00::2:80']);
    expect(hp(sliceAddresses(sp, [v6, v4], ['IPv6', 'IPv4']))).toEqual(['fd00::1:80', 'fd00::2:80']);
    expect(hp(sliceAddresses(sp, [v6, v4], ['IPv4']))).toEqual(['10.0.0.1:80']);
  });
});

describe('endpointsAddresses', () => {
  it('reads ready addresses of the subset port named like the Service port', () => {
    const e: Endpoints = {
      metadata: { name: 'web' },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }],
          notReadyAddresses: [{ ip: '10.0.0.9' }],
          ports: [
            { name: 'http', port: 8080 },
            { name: 'admin', port: 9991 },
          ],
        },
      ],
    };
    const a = endpointsAddresses(resolveServicePort(svc, 'http')!, e);
    expect(hp(a)).toEqual(['10.0.0.1:8080']);
    expect(a[0]!.meta).toEqual({ nodeName: 'n1' });
    expect(hp(endpointsAddresses(resolveServicePort(svc, '9990')!, e))).toEqual(['10.0.0.1:9991']);
    expect(endpointsAddresses(resolveServicePort(svc, 'http')!, undefined)).toEqual([]);
  });
});
