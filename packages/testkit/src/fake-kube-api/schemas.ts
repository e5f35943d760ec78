/**
 * Small OpenAPI v3 schemas of the kinds the test API server serves. One schema drives four things,
 * so they cannot disagree: the `/openapi/v2` and `/openapi/v3` documents (for `kubectl explain`,
 * client-side apply and validation), strategic merge patch (which lists merge by which key), and
 * server-side apply field ownership (`x-kubernetes-list-type` map/set/atomic). Field names and list
 * semantics follow `kubernetes/api` `types.go` tags (`patchStrategy`, `patchMergeKey`, `listType`);
 * only the fields Switchyard and its tests touch are described, the rest is
 * `x-kubernetes-preserve-unknown-fields`.
 */

/** A JSON schema node as the OpenAPI documents carry it (with the Kubernetes `x-` extensions). */
export type Schema = { readonly [k: string]: unknown };

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', format: 'int32' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const strMap: Schema = { type: 'object', additionalProperties: str };
const intOrString: Schema = { 'x-kubernetes-int-or-string': true };

function obj(properties: Record<string, Schema>, description?: string, required?: string[]): Schema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    ...(required ? { required } : {}),
  };
}
function atomic(items: Schema): Schema {
  return { type: 'array', items, 'x-kubernetes-list-type': 'atomic' };
}
function set(items: Schema): Schema {
  return { type: 'array', items, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' };
}
/** A list whose items merge by `keys` (strategic merge patch and server-side apply). */
function keyed(items: Schema, keys: string[]): Schema {
  return {
    type: 'array',
    items,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': keys,
    'x-kubernetes-patch-merge-key': keys[0],
    'x-kubernetes-patch-strategy': 'merge',
  };
}
function described(s: Schema, description: string): Schema {
  return { ...s, description };
}

export const OBJECT_META: Schema = obj(
  {
    name: described(str, 'Name must be unique within a namespace.'),
    generateName: str,
    namespace: described(str, 'Namespace defines the space within which each name must be unique.'),
    uid: str,
    resourceVersion: described(str, 'An opaque value that represents the internal version of this object.'),
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: described(strMap, 'Map of string keys and values that can be used to organize objects.'),
    annotations: strMap,
    finalizers: set(str),
    ownerReferences: keyed(
      obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool }),
      ['uid'],
    ),
    managedFields: atomic(
      obj({
        manager: str,
        operation: str,
        apiVersion: str,
        time,
        fieldsType: str,
        fieldsV1: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        subresource: str,
      }),
    ),
  },
  'ObjectMeta is metadata that all persisted resources must have.',
);

const condition = obj({
  type: str,
  status: str,
  observedGeneration: { type: 'integer', format: 'int64' },
  lastTransitionTime: time,
  reason: str,
  message: str,
});
const conditions = keyed(condition, ['type']);

const loadBalancerStatus = obj({
  ingress: atomic(
    obj({
      ip: str,
      hostname: str,
      ipMode: str,
      ports: atomic(obj({ port: int, protocol: str, error: str })),
    }),
  ),
});

const serviceBackend = obj({ name: str, port: obj({ name: str, number: int }) });
const ingressBackend = obj({
  service: serviceBackend,
  resource: obj({ apiGroup: str, kind: str, name: str }),
});

/** Schemas by `group/version/Kind` (core group as `/v1/Kind`), without apiVersion/kind/metadata. */
export const KIND_SCHEMAS: Readonly<Record<string, Record<string, Schema>>> = {
  '/v1/Namespace': {
    spec: obj({ finalizers: atomic(str) }),
    status: obj({ phase: str, conditions }),
  },
  '/v1/Service': {
    spec: obj(
      {
        type: described(str, 'ClusterIP, NodePort, LoadBalancer or ExternalName.'),
        selector: described(
          strMap,
          'Route service traffic to pods with label keys and values matching this selector.',
        ),
        clusterIP: str,
        clusterIPs: atomic(str),
        externalName: str,
        ports: described(
          keyed(
            obj({
              name: str,
              protocol: str,
              port: int,
              targetPort: intOrString,
              nodePort: int,
              appProtocol: str,
            }),
            ['port', 'protocol'],
          ),
          'The list of ports that are exposed by this service.',
        ),
        sessionAffinity: str,
      },
      'Spec defines the behavior of a service.',
    ),
    status: obj({ loadBalancer: loadBalancerStatus, conditions }),
  },
  '/v1/Endpoints': {
    subsets: atomic(
      obj({
        addresses: atomic(obj({ ip: str, hostname: str, nodeName: str })),
        notReadyAddresses: atomic(obj({ ip: str, hostname: str, nodeName: str })),
        ports: atomic(obj({ name: str, port: int, protocol: str, appProtocol: str })),
      }),
    ),
  },
  '/v1/Secret': {
    type: str,
    data: described(
      { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
      'Base64 values.',
    ),
    stringData: strMap,
    immutable: bool,
  },
  '/v1/ConfigMap': {
    data: strMap,
    binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
    immutable: bool,
  },
  'discovery.k8s.io/v1/EndpointSlice': {
    addressType: str,
    endpoints: atomic(
      obj({
        addresses: set(str),
        conditions: obj({ ready: bool, serving: bool, terminating: bool }),
        hostname: str,
        nodeName: str,
        zone: str,
        targetRef: obj({ kind: str, namespace: str, name: str, uid: str }),
      }),
    ),
    ports: atomic(obj({ name: str, protocol: str, port: int, appProtocol: str })),
  },
  'networking.k8s.io/v1/Ingress': {
    spec: obj(
      {
        ingressClassName: str,
        defaultBackend: ingressBackend,
        tls: atomic(obj({ hosts: atomic(str), secretName: str })),
        rules: described(
          atomic(
            obj({
              host: str,
              http: obj({
                paths: atomic(
                  obj({ path: str, pathType: str, backend: ingressBackend }, undefined, [
                    'pathType',
                    'backend',
                  ]),
                ),
              }),
            }),
          ),
          'A list of host rules used to configure the Ingress.',
        ),
      },
      'Spec is the desired state of the Ingress.',
    ),
    status: obj({ loadBalancer: loadBalancerStatus }),
  },
  'networking.k8s.io/v1/IngressClass': {
    spec: obj({
      controller: str,
      parameters: obj({ apiGroup: str, kind: str, name: str, namespace: str, scope: str }),
    }),
  },
  'coordination.k8s.io/v1/Lease': {
    spec: obj(
      {
        holderIdentity: described(str, 'The identity of the holder of a current lease.'),
        leaseDurationSeconds: int,
        acquireTime: { type: 'string', format: 'date-time' },
        renewTime: { type: 'string', format: 'date-time' },
        leaseTransitions: int,
        strategy: str,
        preferredHolder: str,
      },
      'Specification of the Lease.',
    ),
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    spec: obj({
      group: str,
      scope: str,
      names: obj({
        plural: str,
        singular: str,
        kind: str,
        listKind: str,
        shortNames: atomic(str),
        categories: atomic(str),
      }),
      versions: atomic({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
    }),
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

/** The full object schema of a kind: apiVersion, kind, metadata plus `properties`. */
export function objectSchema(
  gvk: { group: string; version: string; kind: string },
  properties: Record<string, Schema>,
  description: string,
): Schema {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: described(
        str,
        'APIVersion defines the versioned schema of this representation of an object.',
      ),
      kind: described(str, 'Kind is a string value representing the REST resource this object represents.'),
      metadata: OBJECT_META,
      ...properties,
    },
    'x-kubernetes-group-version-kind': [gvk],
  };
}

/** The child schema of `s` at `key` (a property, or `additionalProperties`), or undefined if unknown. */
export function childSchema(s: Schema | undefined, key: string): Schema | undefined {
  if (!s) return undefined;
  const props = s.properties as Record<string, Schema> | undefined;
  if (props && key in props) return props[key];
  const extra = s.additionalProperties;
  return typeof extra === 'object' && extra !== null ? (extra as Schema) : undefined;
}

/** How a list merges: by keys (`map`), as a set of scalars (`set`), or replaced whole (`atomic`). */
export type ListKind =
  | { readonly kind: 'map'; readonly keys: readonly string[] }
  | { readonly kind: 'set' }
  | { readonly kind: 'atomic' };

export function listKindOf(s: Schema | undefined): ListKind {
  const t = s?.['x-kubernetes-list-type'];
  if (t === 'map') return { kind: 'map', keys: (s?.['x-kubernetes-list-map-keys'] as string[]) ?? [] };
  if (t === 'set') return { kind: 'set' };
  const key = s?.['x-kubernetes-patch-merge-key'];
  if (typeof key === 'string') return { kind: 'map', keys: [key] };
  if (s?.['x-kubernetes-patch-strategy'] === 'merge') return { kind: 'set' };
  return { kind: 'atomic' };
}
