/**
 * Minimal TypeScript shapes of the Kubernetes objects Switchyard reads: only the fields the namer,
 * the ingress identifier and the status writer use. Everything is optional where the API allows
 * omission, because the API server omits empty fields. Field names and optionality follow
 * `kubernetes/api` (`core/v1`, `networking/v1`, `discovery/v1` `types.go`).
 */

/** `metav1.ObjectMeta`, reduced. `resourceVersion` is opaque: compare for equality only. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Any Kubernetes object: `apiVersion`, `kind` and `metadata`. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** `metav1.ListMeta`: the list's resourceVersion, and the continue token of a paginated list. */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A list response (`IngressList`, `ServiceList`, …). */
export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** `metav1.Status`, the body of every error response and of watch `ERROR` events. */
export interface KubeStatus {
  kind?: 'Status';
  apiVersion?: string;
  metadata?: ListMeta;
  status?: 'Success' | 'Failure';
  message?: string;
  /** Machine-readable reason: `NotFound`, `Expired`, `Gone`, `Unauthorized`, `Conflict`, … */
  reason?: string;
  code?: number;
}

// --- networking.k8s.io/v1 Ingress ----------------------------------------------------------------

/** `networking/v1.ServiceBackendPort`: exactly one of `name` or `number`. */
export interface ServiceBackendPort {
  name?: string;
  number?: number;
}

/** `networking/v1.IngressBackend`: a Service backend or a resource backend (which we skip). */
export interface IngressBackend {
  service?: { name: string; port?: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

/** `networking/v1.HTTPIngressPath`. `pathType` is required in v1: `Exact`, `Prefix` or `ImplementationSpecific`. */
export interface HTTPIngressPath {
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

/** `networking/v1.IngressRule`. A missing `host` matches every host. */
export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

/** `networking/v1.IngressTLS`. */
export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

/** `networking/v1.IngressLoadBalancerIngress` (`core/v1.LoadBalancerIngress` before 1.26). */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: { port: number; protocol?: string; error?: string }[];
}

/** `networking/v1.IngressStatus`. */
export interface IngressStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
}

/** `networking.k8s.io/v1` Ingress. */
export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules?: IngressRule[];
    tls?: IngressTLS[];
  };
  status?: IngressStatus;
}

/** `extensions/v1beta1` and `networking.k8s.io/v1beta1` backend: service name and port inline. */
export interface IngressBackendV1beta1 {
  serviceName?: string;
  servicePort?: string | number;
  resource?: { apiGroup?: string; kind: string; name: string };
}

/** `extensions/v1beta1` / `networking.k8s.io/v1beta1` Ingress (served until Kubernetes 1.22). */
export interface IngressV1beta1 extends KubeObject {
  spec?: {
    ingressClassName?: string;
    backend?: IngressBackendV1beta1;
    rules?: {
      host?: string;
      http?: {
        paths: { path?: string; pathType?: HTTPIngressPath['pathType']; backend: IngressBackendV1beta1 }[];
      };
    }[];
    tls?: IngressTLS[];
  };
  status?: IngressStatus;
}

/** `networking.k8s.io/v1` IngressClass (cluster-scoped). */
export interface IngressClass extends KubeObject {
  spec?: {
    controller?: string;
    parameters?: { apiGroup?: string; kind: string; name: string; namespace?: string; scope?: string };
  };
}

// --- core/v1 ---------------------------------------------------------------------------------------

/** `core/v1.ServicePort`. `targetPort` is a number or a container port name. */
export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

/** `core/v1` Service. */
export interface Service extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
  };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

/** `core/v1.EndpointAddress`. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
}

/** `core/v1.EndpointPort`. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** `core/v1` Endpoints (deprecated in 1.33 in favour of EndpointSlice). */
export interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: EndpointPort[];
  }[];
}

/** `core/v1` Secret. `data` values are base64. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

// --- discovery.k8s.io/v1 ---------------------------------------------------------------------------

/** `discovery/v1.EndpointConditions`. A nil `ready` means ready (the API's own rule). */
export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** `discovery/v1.Endpoint`. */
export interface SliceEndpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; namespace?: string; name?: string; uid?: string };
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
}

/** `discovery/v1.EndpointPort`. A nil `port` means "all ports"; a nil `name` is the empty name. */
export interface SlicePort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

/** `discovery.k8s.io/v1` EndpointSlice; joined to its Service by label `kubernetes.io/service-name`. */
export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: SliceEndpoint[];
  ports?: SlicePort[];
}

// --- coordination.k8s.io/v1 Lease -----------------------------------------------------------------

/** `coordination/v1.LeaseSpec`. Times are `MicroTime` strings (RFC 3339 with microseconds). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** `coordination.k8s.io/v1` Lease: leader election and heartbeats. */
export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}
