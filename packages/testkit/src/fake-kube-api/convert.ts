/**
 * Ingress version conversion, as the API server does between its storage version and the
 * version a client asks for: `extensions/v1beta1` and `networking.k8s.io/v1beta1` inline
 * `serviceName`/`servicePort` and call the default backend `backend`; `networking.k8s.io/v1`
 * nests `service: {name, port: {name|number}}` and calls it `defaultBackend`.
 */
import type { Ingress, IngressBackend, IngressBackendV1beta1, IngressV1beta1 } from '@switchyard/k8s';

function backendToV1(b: IngressBackendV1beta1 | undefined): IngressBackend | undefined {
  if (!b) return undefined;
  if (b.resource) return { resource: b.resource };
  const port = b.servicePort;
  return {
    service: {
      name: b.serviceName ?? '',
      port:
        typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port))
          ? { number: Number(port) }
          : { name: port },
    },
  };
}

function backendToV1beta1(b: IngressBackend | undefined): IngressBackendV1beta1 | undefined {
  if (!b) return undefined;
  if (b.resource) return { resource: b.resource };
  return { serviceName: b.service?.name, servicePort: b.service?.port?.number ?? b.service?.port?.name };
}

/** A v1beta1 Ingress in v1 shape (pathType defaults to ImplementationSpecific, as the API server does). */
export function ingressToV1(obj: IngressV1beta1): Ingress {
  const spec = obj.spec;
  return {
    ...obj,
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    spec: spec && {
      ingressClassName: spec.ingressClassName,
      defaultBackend: backendToV1(spec.backend),
      tls: spec.tls,
      rules: spec.rules?.map((r) => ({
        host: r.host,
        http: r.http && {
          paths: r.http.paths.map((p) => ({
            path: p.path,
            pathType: p.pathType ?? 'ImplementationSpecific',
            backend: backendToV1(p.backend) ?? {},
          })),
        },
      })),
    },
  } as Ingress;
}

/** A v1 Ingress rendered as `apiVersion` (one of the v1beta1 group versions). */
export function ingressToV1beta1(obj: Ingress, apiVersion: string): IngressV1beta1 {
  const spec = obj.spec;
  return JSON.parse(
    JSON.stringify({
      ...obj,
      apiVersion,
      kind: 'Ingress',
      spec: spec && {
        ingressClassName: spec.ingressClassName,
        backend: backendToV1beta1(spec.defaultBackend),
        tls: spec.tls,
        rules: spec.rules?.map((r) => ({
          host: r.host,
          http: r.http && {
            paths: r.http.paths.map((p) => ({
              path: p.path,
              pathType: p.pathType,
              backend: backendToV1beta1(p.backend),
            })),
          },
        })),
      },
    }),
  ) as IngressV1beta1;
}
