/**
 * Kubernetes fixtures for tests: the objects most tests create (a Service with one named port, an
 * EndpointSlice for it) and a wait on an informer view that re-checks on its events instead of
 * polling. One home for the copies in the k8s, namers and identifiers tests.
 */
import type { EndpointSlice, InformerView, KubeObject, Service } from '@switchyard/k8s';

/** A Service with one port named `http` (`port`, target 8080). */
export function kubeService(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  port = 80,
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, labels },
    spec: { ports: [{ name: 'http', port, targetPort: 8080 }] },
  };
}

/** An IPv4 EndpointSlice of Service `namespace/service`: ready `addresses` on port `http` = `port`. */
export function kubeEndpointSlice(
  namespace: string,
  service: string,
  addresses: readonly string[],
  port: number,
  name = `${service}-1`,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  } as EndpointSlice;
}

/** Resolves when `predicate()` holds, re-checked on every event of the informer `view`. */
export function untilInformer<T extends KubeObject>(
  view: InformerView<T>,
  predicate: () => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    if (predicate()) return resolve();
    const dispose = view.subscribe(
      () => {
        if (predicate()) {
          queueMicrotask(dispose);
          resolve();
        }
      },
      { replay: false },
    );
  });
}
