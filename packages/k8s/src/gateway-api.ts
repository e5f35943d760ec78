/**
 * Gateway API objects (`gateway.networking.k8s.io`): GatewayClass, Gateway, HTTPRoute, GRPCRoute
 * (`v1`) and ReferenceGrant (`v1beta1`), as typed shapes and resource descriptors for the
 * client and informers. Only the fields Switchyard reads or writes are typed; field names and
 * optionality follow the Gateway API reference (`apis/v1`, `apis/v1beta1`). Defaults that the
 * CRDs' OpenAPI schemas apply are *not* applied here: objects are typed as received.
 */
import { defineResource, type ResourceDescriptor } from './resources.js';
import type { KubeObject } from './types.js';

/** The API group of every Gateway API kind. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** `metav1.Condition`, as written in Gateway API statuses. */
export interface GatewayCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  observedGeneration?: number;
  /** RFC 3339. */
  lastTransitionTime: string;
}

/** `v1.GatewayClass` (cluster-scoped). */
export interface GatewayClass extends KubeObject {
  spec?: { controllerName?: string; description?: string };
  status?: { conditions?: GatewayCondition[] };
}

/** `metav1.LabelSelector`. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** `v1.SecretObjectReference` (and other object references with optional group/kind/namespace). */
export interface GatewayObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** `v1.Listener`. */
export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: 'Terminate' | 'Passthrough'; certificateRefs?: GatewayObjectReference[] };
  allowedRoutes?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector'; selector?: LabelSelector };
    kinds?: { group?: string; kind: string }[];
  };
}

/** `v1.ListenerStatus`. */
export interface GatewayListenerStatus {
  name: string;
  supportedKinds: { group?: string; kind: string }[];
  attachedRoutes: number;
  conditions: GatewayCondition[];
}

/** `v1.Gateway`. */
export interface Gateway extends KubeObject {
  spec?: { gatewayClassName?: string; listeners?: GatewayListener[] };
  status?: {
    addresses?: { type?: string; value: string }[];
    conditions?: GatewayCondition[];
    listeners?: GatewayListenerStatus[];
  };
}

/** `v1.ParentReference`. */
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

/** `v1.HTTPPathMatch`. */
export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value?: string;
}

/** `v1.HTTPHeaderMatch` and `v1.HTTPQueryParamMatch`. */
export interface HTTPValueMatch {
  type?: 'Exact' | 'RegularExpression';
  name: string;
  value: string;
}

/** `v1.HTTPRouteMatch`. */
export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPValueMatch[];
  queryParams?: HTTPValueMatch[];
  method?: string;
}

/** `v1.HTTPHeaderFilter`. */
export interface HTTPHeaderFilter {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

/** `v1.HTTPPathModifier`. */
export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

/** `v1.HTTPRouteFilter`. */
export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: {
    scheme?: string;
    hostname?: string;
    path?: HTTPPathModifier;
    port?: number;
    statusCode?: number;
  };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  requestMirror?: unknown;
  extensionRef?: unknown;
}

/** `v1.HTTPBackendRef`. */
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
}

/** `v1.HTTPRouteRule`. */
export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
}

/** `v1.RouteParentStatus`. */
export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: GatewayCondition[];
}

/** `v1.HTTPRoute`. */
export interface HTTPRoute extends KubeObject {
  spec?: { parentRefs?: ParentReference[]; hostnames?: string[]; rules?: HTTPRouteRule[] };
  status?: { parents?: RouteParentStatus[] };
}

/** `v1.GRPCRoute` (typed loosely: matching of gRPC methods is not implemented yet). */
export interface GRPCRoute extends KubeObject {
  spec?: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: {
      matches?: {
        method?: { type?: 'Exact' | 'RegularExpression'; service?: string; method?: string };
        headers?: HTTPValueMatch[];
      }[];
      backendRefs?: HTTPBackendRef[];
    }[];
  };
  status?: { parents?: RouteParentStatus[] };
}

/** `v1beta1.ReferenceGrant`: lets objects `from` other namespaces refer to objects `to` in its own. */
export interface ReferenceGrant extends KubeObject {
  spec?: {
    from?: { group: string; kind: string; namespace: string }[];
    to?: { group: string; kind: string; name?: string }[];
  };
}

/** `gateway.networking.k8s.io/v1` GatewayClass (cluster-scoped). */
export const GATEWAY_CLASS_V1: ResourceDescriptor<GatewayClass> = defineResource<GatewayClass>({
  group: GATEWAY_API_GROUP,
  version: 'v1',
  plural: 'gatewayclasses',
  kind: 'GatewayClass',
  namespaced: false,
});

/** `gateway.networking.k8s.io/v1` Gateway. */
export const GATEWAY_V1: ResourceDescriptor<Gateway> = defineResource<Gateway>({
  group: GATEWAY_API_GROUP,
  version: 'v1',
  plural: 'gateways',
  kind: 'Gateway',
  namespaced: true,
});

/** `gateway.networking.k8s.io/v1` HTTPRoute. */
export const HTTP_ROUTE_V1: ResourceDescriptor<HTTPRoute> = defineResource<HTTPRoute>({
  group: GATEWAY_API_GROUP,
  version: 'v1',
  plural: 'httproutes',
  kind: 'HTTPRoute',
  namespaced: true,
});

/** `gateway.networking.k8s.io/v1` GRPCRoute. */
export const GRPC_ROUTE_V1: ResourceDescriptor<GRPCRoute> = defineResource<GRPCRoute>({
  group: GATEWAY_API_GROUP,
  version: 'v1',
  plural: 'grpcroutes',
  kind: 'GRPCRoute',
  namespaced: true,
});

/** `gateway.networking.k8s.io/v1beta1` ReferenceGrant. */
export const REFERENCE_GRANT_V1BETA1: ResourceDescriptor<ReferenceGrant> = defineResource<ReferenceGrant>({
  group: GATEWAY_API_GROUP,
  version: 'v1beta1',
  plural: 'referencegrants',
  kind: 'ReferenceGrant',
  namespaced: true,
});
