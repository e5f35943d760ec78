import { describe, expect, it } from 'vitest';
import { scaleEndpointSlice, scaleIngress, scaleService } from './kube-scale.js';

describe('scale fixtures', () => {
  it('Service s and its slice share the namespace and the service-name label', () => {
    const svc = scaleService(13, 10);
    const slice = scaleEndpointSlice(13, { namespaces: 10, pods: 3 });
    expect(svc.metadata).toMatchObject({ namespace: 'ns-3', name: 'svc-13' });
    expect(slice.metadata).toMatchObject({
      namespace: 'ns-3',
      labels: { 'kubernetes.io/service-name': 'svc-13' },
    });
    expect((slice.endpoints ?? []).map((e) => e.addresses[0])).toEqual([
      '10.0.13.0',
      '10.0.13.1',
      '10.0.13.2',
    ]);
  });

  it('a later generation replaces every address and pod uid', () => {
    const before = scaleEndpointSlice(300, { namespaces: 10, pods: 250 });
    const after = scaleEndpointSlice(300, { namespaces: 10, pods: 250, generation: 1 });
    expect(after.endpoints![0]!.addresses).toEqual(['10.1.44.1']);
    expect(after.endpoints!.at(-1)!.addresses).toEqual(['10.1.44.0']);
    const uids = new Set(before.endpoints!.map((e) => e.targetRef?.uid));
    expect(after.endpoints!.some((e) => uids.has(e.targetRef?.uid))).toBe(false);
  });

  it('Ingress i: exact, wildcard or no host by i % 5; three paths to the chosen backends', () => {
    const backend = (k: number) => `b${k}`;
    const hosts = [0, 3, 4].map(
      (i) => scaleIngress(i, { namespaces: 2, port: 80, backend }).spec?.rules?.[0]?.host,
    );
    expect(hosts).toEqual(['app-0.example.com', '*.team-3.example.org', undefined]);
    const hostless = scaleIngress(4, { namespaces: 2, port: 8080, backend });
    expect(hostless.metadata.namespace).toBe('ns-0');
    expect(hostless.spec?.rules?.[0]?.http?.paths).toEqual([
      { path: '/svc-4', pathType: 'Prefix', backend: { service: { name: 'b0', port: { number: 8080 } } } },
      { path: '/api-4/v1', pathType: 'Prefix', backend: { service: { name: 'b1', port: { number: 8080 } } } },
      { path: '/health-4', pathType: 'Exact', backend: { service: { name: 'b2', port: { number: 8080 } } } },
    ]);
  });
});
