/**
 * @packageDocumentation
 * `@switchyard/testkit/fake-kube-api`: the protocol-faithful Kubernetes API test server alone,
 * without the rest of the testkit (fast-check arbitraries, Pebble, the test PKI), for programs that
 * serve it outside a test runner — the ingress binary's `--kube-api` local mode bundles only this.
 */

export type { FakeKubeErrorCode } from './fake-kube-api/errors.js';
export { FakeKubeInvalidObjectError, FakeKubeUnknownKindError } from './fake-kube-api/errors.js';
export { POST_HELLO_WORLD_INGRESS_YAML } from './fake-kube-api/post-objects.js';
export type {
  FakeKubeApi,
  FakeKubeApiOptions,
  FakeKubeFaults,
  RecordedRequest,
} from './fake-kube-api/server.js';
export { mergePatch, startFakeKubeApi } from './fake-kube-api/server.js';
