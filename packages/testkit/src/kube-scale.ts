/**
 * Kubernetes objects by number, for the scale benches that load thousands of them into the fake
 * API server (`identifiers/bench`, `namers/bench`): Service s, its EndpointSlice of many pods, and
 * Ingress i with three paths. One home for the copies those benches each wrote; the shapes
 * (hosts, paths, addresses) are what the published bench figures were measured with.
 */
import type { EndpointSlice, Ingress, Service } from '@switchyard/k8s';
import { kubeService } from './kube.js';

/** Service `svc-<s>` in namespace `ns-<s % namespaces>`, one port `http` 80 → 8080. */
export function scaleService(s: number, namespaces: number): Service {
  return kubeService(`ns-${s % namespaces}`, `svc-${s}`);
}

/** How {@link scaleEndpointSlice} lays out a Service's pods. */
export interface ScaleSliceOptions {
  /** Namespaces `ns-0`…: the slice of Service s lives in `ns-<s % namespaces>`. */
  readonly namespaces: number;
  /** Ready endpoints in the slice. */
  readonly pods: number;
  /**
   * Shifts every address's last octet by this much (default 0), so a later generation replaces
   * the addresses: pod p is `10.<s >> 8>.<s & 255>.<(p + generation) % 250>`.
   */
  readonly generation?: number;
}

/**
 * The IPv4 EndpointSlice `svc-<s>-abcde` of Service `svc-<s>`: `pods` ready endpoints on port
 * `http` = 8080, spread over 20 nodes, each with a Pod `targetRef` whose uid changes with the
 * generation.
 */
export function scaleEndpointSlice(s: number, options: ScaleSliceOptions): EndpointSlice {
  const generation = options.generation ?? 0;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: `ns-${s % options.namespaces}`,
      name: `svc-${s}-abcde`,
      labels: { 'kubernetes.io/service-name': `svc-${s}` },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: options.pods }, (_, p) => ({
      addresses: [`10.${(s >> 8) & 255}.${s & 255}.${(p + generation) % 250}`],
      conditions: { ready: true },
      nodeName: `node-${p % 20}`,
      targetRef: { kind: 'Pod', name: `svc-${s}-pod-${p}`, uid: `${s}-${p}-${generation}` },
    })),
  } as EndpointSlice;
}

/** Where {@link scaleIngress} puts Ingress i and what its paths point at. */
export interface ScaleIngressOptions {
  /** Namespaces `ns-0`…: Ingress i lives in `ns-<i % namespaces>`. */
  readonly namespaces: number;
  /** The Service name of path k (0: `/` or `/svc-<i>`, 1: `/api-<i>/v1`, 2: `/health-<i>`). */
  readonly backend: (k: 0 | 1 | 2) => string;
  /** The Services' port number. */
  readonly port: number;
}

/**
 * Ingress `ing-<i>` of class `linkerd` (annotation): a rule for host `app-<i>.example.com`
 * (i % 5 < 3), `*.team-<i>.example.org` (i % 5 = 3) or no host (i % 5 = 4), with three paths —
 * Prefix `/` (`/svc-<i>` when hostless), Prefix `/api-<i>/v1`, Exact `/health-<i>`.
 */
export function scaleIngress(i: number, options: ScaleIngressOptions): Ingress {
  const kind = i % 5;
  const host = kind < 3 ? `app-${i}.example.com` : kind === 3 ? `*.team-${i}.example.org` : undefined;
  const path = (p: string, pathType: 'Exact' | 'Prefix', k: 0 | 1 | 2) => ({
    path: p,
    pathType,
    backend: { service: { name: options.backend(k), port: { number: options.port } } },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      namespace: `ns-${i % options.namespaces}`,
      name: `ing-${i}`,
      annotations: { 'kubernetes.io/ingress.class': 'linkerd' },
    },
    spec: {
      rules: [
        {
          ...(host ? { host } : {}),
          http: {
            paths: [
              path(host ? '/' : `/svc-${i}`, 'Prefix', 0),
              path(`/api-${i}/v1`, 'Prefix', 1),
              path(`/health-${i}`, 'Exact', 2),
            ],
          },
        },
      ],
    },
  };
}
