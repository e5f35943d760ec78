/**
 * @packageDocumentation
 * A small Kubernetes API client on undici: in-cluster, kubeconfig or URL connection configs; list,
 * watch (NDJSON `AsyncIterable`), get and Ingress status writes; informers that list+watch with
 * resourceVersion, bookmarks and 410 relists, shared per resource and selector.
 */
export type { BackoffOptions } from './backoff.js';
export { backoffDelay } from './backoff.js';
export type {
  KubeClient,
  KubeClientOptions,
  ListOptions,
  SelectorOptions,
  WatchEvent,
  WatchOptions,
} from './client.js';
export { createKubeClient } from './client.js';
export type { AutoConfigOptions, InClusterOptions, UrlConfigOptions } from './config.js';
export { autoConfig, inClusterConfig, urlConfig } from './config.js';
export type {
  KubeConnectionConfig,
  KubeCredentials,
  KubeImpersonation,
  KubeTlsConfig,
} from './connection.js';
export type { K8sErrorCode } from './errors.js';
export {
  KubeApiError,
  KubeConfigError,
  KubeCredentialsError,
  KubeconfigParseError,
  KubeGoneError,
  KubeLeaderElectionError,
  KubeTransportError,
  KubeWatchDecodeError,
  KubeWatchIdleError,
} from './errors.js';
export type {
  Gateway,
  GatewayClass,
  GatewayCondition,
  GatewayListener,
  GatewayListenerStatus,
  GatewayObjectReference,
  GRPCRoute,
  HTTPBackendRef,
  HTTPHeaderFilter,
  HTTPPathMatch,
  HTTPPathModifier,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  HTTPValueMatch,
  LabelSelector,
  ParentReference,
  ReferenceGrant,
  RouteParentStatus,
} from './gateway-api.js';
export {
  GATEWAY_API_GROUP,
  GATEWAY_CLASS_V1,
  GATEWAY_V1,
  GRPC_ROUTE_V1,
  HTTP_ROUTE_V1,
  REFERENCE_GRANT_V1BETA1,
} from './gateway-api.js';
export type {
  InformerEvent,
  InformerListener,
  InformerOptions,
  InformerSelector,
  InformerView,
} from './informer.js';
export { createInformer, Informer, isTooLargeResourceVersion } from './informer.js';
export type { InformerRelayMessage, RelayedEvent, RelayPort } from './informer-relay.js';
export { INFORMER_RELAY_VERSION } from './informer-relay.js';
export { relayedInformers } from './informer-relay-receiver.js';
export type { RelayedInformersServer } from './informer-relay-source.js';
export { serveRelayedInformers } from './informer-relay-source.js';
export type { KubeconfigOptions } from './kubeconfig.js';
export { kubeconfigConfig } from './kubeconfig.js';
export type { LeaderElector, LeaderElectorOptions } from './leader-election.js';
export { createLeaderElector } from './leader-election.js';
export type { ResourceDescriptor } from './resources.js';
export {
  defineResource,
  ENDPOINT_SLICE_V1,
  ENDPOINTS_V1,
  INGRESS_CLASS_V1,
  INGRESS_EXTENSIONS_V1BETA1,
  INGRESS_NETWORKING_V1BETA1,
  INGRESS_V1,
  LEASE_V1,
  SECRET_V1,
  SERVICE_V1,
} from './resources.js';
export type { KubeRetryOptions } from './retry.js';
export { k8sChannels } from './runtime.js';
export {
  type SecretCertificateEntry,
  SecretCertificateError,
  type SecretCertificateErrorCode,
  type SecretCertificatePair,
  type SecretCertificateSnapshot,
  type SecretCertificateSource,
  type SecretCertificateSourceOptions,
  type SecretRef,
  secretCertificateSource,
} from './secret-certificate-source.js';
export type { InformerLease, SharedInformers } from './shared.js';
export { sharedInformers } from './shared.js';
export type {
  EndpointAddress,
  EndpointConditions,
  EndpointPort,
  EndpointSlice,
  Endpoints,
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  IngressBackendV1beta1,
  IngressClass,
  IngressRule,
  IngressStatus,
  IngressTLS,
  IngressV1beta1,
  KubeList,
  KubeObject,
  KubeStatus,
  Lease,
  LeaseSpec,
  ListMeta,
  LoadBalancerIngress,
  ObjectMeta,
  Secret,
  Service,
  ServiceBackendPort,
  ServicePort,
  SliceEndpoint,
  SlicePort,
} from './types.js';
