/**
 * The resources the test API server serves: the built-in kinds Switchyard touches, plus kinds
 * registered at run time by creating a CustomResourceDefinition (as kube-apiserver's
 * apiextensions server does). Discovery, OpenAPI, routing and storage all read this one registry.
 *
 * Longer than ~300 lines on purpose: most of it is the table of built-in kinds, one entry per
 * kind.
 */
import type { Ingress, IngressV1beta1, KubeObject } from '@switchyard/k8s';
import { ingressToV1, ingressToV1beta1 } from './convert.js';
import { KIND_SCHEMAS, objectSchema, type Schema } from './schemas.js';

/** A resource served at `group/version/plural`. */
export interface Served {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Storage bucket; the three Ingress versions share one. */
  readonly storage: string;
  /** The version objects are stored in (the others convert). */
  readonly storageVersion: boolean;
  /** Has a `/status` subresource: main-resource writes keep the old status, status writes change only status. */
  readonly statusSubresource: boolean;
  /** `metadata.generation` is maintained (bumped when anything but metadata/status changes). */
  readonly generation: boolean;
  /** The object schema (with `x-kubernetes-group-version-kind`). */
  readonly schema: Schema;
  readonly description: string;
  /** Converts a stored object to this version, and back. */
  readonly out: (o: KubeObject) => KubeObject;
  readonly into: (o: KubeObject) => KubeObject;
  /** Registered by a CustomResourceDefinition (named here). */
  readonly crd?: string;
}

const same = (o: KubeObject) => o;

interface BuiltIn {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  status?: boolean;
  generation?: boolean;
  description: string;
  storage?: string;
  storageVersion?: boolean;
  schemaKey?: string;
  out?: (o: KubeObject) => KubeObject;
  into?: (o: KubeObject) => KubeObject;
}

function builtIn(b: BuiltIn): Served {
  const schemaKey = b.schemaKey ?? `${b.group}/${b.version}/${b.kind}`;
  return {
    group: b.group,
    version: b.version,
    plural: b.plural,
    singular: b.kind.toLowerCase(),
    kind: b.kind,
    namespaced: b.namespaced,
    shortNames: b.shortNames ?? [],
    categories: [],
    storage: b.storage ?? `${b.group}/${b.plural}`,
    storageVersion: b.storageVersion ?? true,
    statusSubresource: b.status ?? false,
    generation: b.generation ?? false,
    schema: objectSchema(
      { group: b.group, version: b.version, kind: b.kind },
      KIND_SCHEMAS[schemaKey] ?? {},
      b.description,
    ),
    description: b.description,
    out: b.out ?? same,
    into: b.into ?? same,
  };
}

const INGRESS_DESCRIPTION =
  'Ingress is a collection of rules that allow inbound connections to reach the endpoints defined by a backend.';

/** The built-in resources, in discovery order. */
export const BUILT_IN: readonly Served[] = [
  builtIn({
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    description: 'Namespace provides a scope for Names.',
  }),
  builtIn({
    group: '',
    version: 'v1',
    plural: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    status: true,
    description:
      'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  }),
  builtIn({
    group: '',
    version: 'v1',
    plural: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
    description: 'Endpoints is a collection of endpoints that implement the actual service.',
  }),
  builtIn({
    group: '',
    version: 'v1',
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
    description: 'Secret holds secret data of a certain type.',
  }),
  builtIn({
    group: '',
    version: 'v1',
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    description: 'ConfigMap holds configuration data for pods to consume.',
  }),
  builtIn({
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
    generation: true,
    description: 'EndpointSlice represents a subset of the endpoints that implement a service.',
  }),
  builtIn({
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
    shortNames: ['ing'],
    status: true,
    generation: true,
    storage: 'ingresses',
    description: INGRESS_DESCRIPTION,
  }),
  ...(['networking.k8s.io', 'extensions'] as const).map((group) =>
    builtIn({
      group,
      version: 'v1beta1',
      plural: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      status: true,
      generation: true,
      storage: 'ingresses',
      storageVersion: false,
      schemaKey: 'none',
      description: INGRESS_DESCRIPTION,
      out: (o) => ingressToV1beta1(o as Ingress, `${group}/v1beta1`),
      into: (o) => ingressToV1(o as IngressV1beta1),
    }),
  ),
  builtIn({
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingressclasses',
    kind: 'IngressClass',
    namespaced: false,
    generation: true,
    storage: 'ingressclasses',
    description: 'IngressClass represents the class of the Ingress, referenced by the Ingress Spec.',
  }),
  builtIn({
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
    description: 'Lease defines a lease concept.',
  }),
  // Stored only (nothing runs them): the post's manifests carry Deployments next to their Services.
  builtIn({
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    status: true,
    generation: true,
    description: 'Deployment enables declarative updates for Pods and ReplicaSets.',
  }),
  // Stored only, like Deployment: the kinds the shipped manifests (examples/ingress/k8s) carry,
  // so that `kubectl apply --dry-run=server -k` of each kustomization succeeds against this server.
  // Nothing acts on them: no controller runs pods, enforces policy or checks RBAC.
  builtIn({
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    status: true,
    generation: true,
    description: 'DaemonSet represents the configuration of a daemon set.',
  }),
  builtIn({
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    description:
      'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
  }),
  builtIn({
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    generation: true,
    description:
      'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods.',
  }),
  builtIn({
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    status: true,
    generation: true,
    description:
      'HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.',
  }),
  builtIn({
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
    generation: true,
    description: 'NetworkPolicy describes what network traffic is allowed for a set of Pods.',
  }),
  ...(
    [
      [
        'roles',
        'Role',
        true,
        'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.',
      ],
      ['rolebindings', 'RoleBinding', true, 'RoleBinding references a role, but does not contain it.'],
      [
        'clusterroles',
        'ClusterRole',
        false,
        'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.',
      ],
      [
        'clusterrolebindings',
        'ClusterRoleBinding',
        false,
        'ClusterRoleBinding references a ClusterRole, but not contain it.',
      ],
    ] as const
  ).map(([plural, kind, namespaced, description]) =>
    builtIn({ group: 'rbac.authorization.k8s.io', version: 'v1', plural, kind, namespaced, description }),
  ),
  // The Gateway API kinds, served as in a cluster with the standard-channel CRDs installed.
  ...(
    [
      ['v1', 'gatewayclasses', 'GatewayClass', false, ['gc']],
      ['v1', 'gateways', 'Gateway', true, ['gtw']],
      ['v1', 'httproutes', 'HTTPRoute', true, []],
      ['v1', 'grpcroutes', 'GRPCRoute', true, []],
      ['v1beta1', 'referencegrants', 'ReferenceGrant', true, ['refgrant']],
    ] as const
  ).map(([version, plural, kind, namespaced, shortNames]) =>
    builtIn({
      group: 'gateway.networking.k8s.io',
      version,
      plural,
      kind,
      namespaced,
      shortNames: [...shortNames],
      status: kind !== 'ReferenceGrant',
      generation: true,
      description: `${kind} of the Kubernetes Gateway API (gateway.networking.k8s.io).`,
    }),
  ),
  builtIn({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
    generation: true,
    description:
      'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
  }),
];

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** `apiVersion/plural`, the id the `disabled` option uses. */
export function servedId(r: Served): string {
  return `${apiVersionOf(r)}/${r.plural}`;
}

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown };
  schema?: { openAPIV3Schema?: Schema };
}
interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
  versions?: CrdVersion[];
}

/**
 * The resources a CustomResourceDefinition serves, or an error message naming the field that is
 * missing (answered as 422 Invalid).
 */
export function crdResources(crd: KubeObject): Served[] | string {
  const spec = (crd as { spec?: CrdSpec }).spec;
  const names = spec?.names;
  if (!spec?.group) return 'spec.group: Required value';
  if (!names?.plural || !names.kind) return 'spec.names.plural, spec.names.kind: Required value';
  if (crd.metadata.name !== `${names.plural}.${spec.group}`) {
    return `metadata.name: Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`;
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    return 'spec.scope: Unsupported value: supported values: "Cluster", "Namespaced"';
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0)
    return 'spec.versions: Invalid value: must have exactly one version marked as storage version';
  const description = `${names.kind} is a custom resource (${crd.metadata.name}).`;
  return versions
    .filter((v) => v.served !== false && v.name)
    .map((v) => {
      const own = v.schema?.openAPIV3Schema ?? {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
      const gvk = { group: spec.group!, version: v.name!, kind: names.kind! };
      const props = { ...((own.properties as Record<string, Schema>) ?? {}) };
      delete props.apiVersion;
      delete props.kind;
      delete props.metadata;
      return {
        group: spec.group!,
        version: v.name!,
        plural: names.plural!,
        singular: names.singular ?? names.kind!.toLowerCase(),
        kind: names.kind!,
        namespaced: spec.scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        storage: `${spec.group}/${names.plural}`,
        storageVersion: v.storage === true,
        statusSubresource: v.subresources?.status !== undefined,
        generation: true,
        schema: {
          ...objectSchema(gvk, props, description),
          ...(own['x-kubernetes-preserve-unknown-fields']
            ? { 'x-kubernetes-preserve-unknown-fields': true }
            : {}),
        },
        description,
        out: (o: KubeObject) => o,
        into: (o: KubeObject) => o,
        crd: crd.metadata.name,
      } satisfies Served;
    });
}

/** The served resources: built-ins plus registered CRDs, minus the disabled ones. */
export class Registry {
  #crds = new Map<string, Served[]>();
  #disabled: ReadonlySet<string>;

  constructor(disabled: readonly string[]) {
    this.#disabled = new Set(disabled);
  }

  all(): Served[] {
    const out = BUILT_IN.filter((r) => !this.#disabled.has(servedId(r)));
    for (const rs of this.#crds.values()) out.push(...rs);
    return out;
  }

  find(group: string, version: string, plural: string): Served | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  /** By apiVersion (optional) and kind; also finds disabled built-ins (the test-facing methods use it). */
  byKind(apiVersion: string | undefined, kind: string | undefined): Served | undefined {
    const all = [...BUILT_IN, ...[...this.#crds.values()].flat()];
    return all.find((r) => r.kind === kind && (apiVersion === undefined || apiVersionOf(r) === apiVersion));
  }

  /** The version objects of `storage` are kept in. */
  canonical(storage: string): Served | undefined {
    const all = [...BUILT_IN, ...[...this.#crds.values()].flat()].filter((r) => r.storage === storage);
    return all.find((r) => r.storageVersion) ?? all[0];
  }

  register(name: string, resources: Served[]): void {
    this.#crds.set(name, resources);
  }

  unregister(name: string): Served[] {
    const rs = this.#crds.get(name) ?? [];
    this.#crds.delete(name);
    return rs;
  }
}
