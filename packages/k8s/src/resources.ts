/**
 * Resource descriptors: which URL a kind lives at. The client is generic over a descriptor, so one
 * code path serves every resource and the object type flows from the descriptor to the caller.
 * URL layout per the Kubernetes "API Concepts" page (Resource URIs): core group under `/api/v1`,
 * named groups under `/apis/<group>/<version>`, namespaced collections under `namespaces/<ns>/`.
 */
import type {
  EndpointSlice,
  Endpoints,
  Ingress,
  IngressClass,
  IngressV1beta1,
  KubeObject,
  Lease,
  Secret,
  Service,
} from './types.js';

/**
 * Where a resource lives. `group` is `''` for the core group. `T` is a phantom type carrying the
 * object shape; build new descriptors with {@link defineResource}.
 */
export interface ResourceDescriptor<T extends KubeObject = KubeObject> {
  readonly group: string;
  readonly version: string;
  /** The URL segment (`ingresses`), lower-case plural. */
  readonly plural: string;
  /** The object `kind` (`Ingress`). */
  readonly kind: string;
  /** False for cluster-scoped resources such as IngressClass. */
  readonly namespaced: boolean;
  /** Phantom marker; never set. */
  readonly __type?: T;
}

/** Declares a descriptor for a resource this package does not predefine (a CRD, say). */
export function defineResource<T extends KubeObject>(d: {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}): ResourceDescriptor<T> {
  return Object.freeze({ ...d });
}

/** `apiVersion` of a descriptor as it appears in objects: `v1` or `networking.k8s.io/v1`. */
export function apiVersionOf(resource: ResourceDescriptor<KubeObject>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/**
 * The collection path of `resource`, optionally scoped to a namespace, optionally naming one
 * object and a subresource. Names are URI-encoded.
 */
export function resourcePath(
  resource: ResourceDescriptor<KubeObject>,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  if (resource.namespaced && namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${resource.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}

/** The store key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** `networking.k8s.io/v1` Ingress (GA since Kubernetes 1.19). */
export const INGRESS_V1: ResourceDescriptor<Ingress> = defineResource<Ingress>({
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
});

/** `networking.k8s.io/v1beta1` Ingress (served 1.14–1.21). */
export const INGRESS_NETWORKING_V1BETA1: ResourceDescriptor<IngressV1beta1> = defineResource<IngressV1beta1>({
  group: 'networking.k8s.io',
  version: 'v1beta1',
  plural: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
});

/** `extensions/v1beta1` Ingress (the only one Linkerd 1 read; not served from 1.22). */
export const INGRESS_EXTENSIONS_V1BETA1: ResourceDescriptor<IngressV1beta1> = defineResource<IngressV1beta1>({
  group: 'extensions',
  version: 'v1beta1',
  plural: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
});

/** `networking.k8s.io/v1` IngressClass (cluster-scoped). */
export const INGRESS_CLASS_V1: ResourceDescriptor<IngressClass> = defineResource<IngressClass>({
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'ingressclasses',
  kind: 'IngressClass',
  namespaced: false,
});

/** Core `v1` Service. */
export const SERVICE_V1: ResourceDescriptor<Service> = defineResource<Service>({
  group: '',
  version: 'v1',
  plural: 'services',
  kind: 'Service',
  namespaced: true,
});

/** Core `v1` Endpoints. */
export const ENDPOINTS_V1: ResourceDescriptor<Endpoints> = defineResource<Endpoints>({
  group: '',
  version: 'v1',
  plural: 'endpoints',
  kind: 'Endpoints',
  namespaced: true,
});

/** `discovery.k8s.io/v1` EndpointSlice (GA since 1.21). */
export const ENDPOINT_SLICE_V1: ResourceDescriptor<EndpointSlice> = defineResource<EndpointSlice>({
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
});

/** Core `v1` Secret. */
export const SECRET_V1: ResourceDescriptor<Secret> = defineResource<Secret>({
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
});

/** `coordination.k8s.io/v1` Lease (GA since 1.14), used for leader election. */
export const LEASE_V1: ResourceDescriptor<Lease> = defineResource<Lease>({
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
});
