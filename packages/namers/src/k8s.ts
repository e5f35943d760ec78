/**
 * @packageDocumentation
 * `io.l5d.k8s`: Kubernetes service discovery — `/<namespace>/<port>/<service>[/<labelValue>]`
 * resolved to the ready pods behind the Service, from EndpointSlices (or core Endpoints on old
 * clusters), with watches shared per namespace and run only while observed.
 */

export type { AddressFamily } from './k8s/endpoints.js';
export type { K8sNamerErrorCode } from './k8s/errors.js';
export { K8sNamerConfigError, K8sNamerConnectError } from './k8s/errors.js';
export type { K8sDiscovery, K8sNamer, K8sNamerOptions, K8sNamerState } from './k8s/namer.js';
export { createK8sNamer, K8S_KIND } from './k8s/namer.js';
