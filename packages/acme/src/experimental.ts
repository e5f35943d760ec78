/**
 * @packageDocumentation `@switchyard/acme/experimental`: how the Kubernetes Secret storage names
 * and marks its Secrets (for tools that look them up beside the manager). Not covered by semver:
 * the storage format may change in a minor release; the root entry is the stable API.
 */
export {
  ACME_HOST_ANNOTATION,
  ACME_SECRET_LABEL,
  acmeSecretName,
} from './kubernetes-storage.js';
