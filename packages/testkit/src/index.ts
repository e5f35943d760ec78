/** @packageDocumentation Test fakes for Switchyard: fake namers, a fake clock, fast-check arbitraries and a protocol-faithful Kubernetes API test server. */
export {
  type ArbLabelOptions,
  type ArbNameTreeOptions,
  arbAnyNameTree,
  arbAnyNameTreeOf,
  arbDentry,
  arbDentryPrefix,
  arbDtab,
  arbLabel,
  arbNameTree,
  arbNameTreeOf,
  arbPath,
} from './arbitraries.js';
export type { Backend, BackendHandler } from './backend.js';
export { startBackend } from './backend.js';
export type { ChromiumLaunchOptions, PageErrorEvents } from './chromium.js';
export { chromiumLaunchOptions, collectPageErrors } from './chromium.js';
export type { EventuallyOptions } from './eventually.js';
export { eventually } from './eventually.js';
export type { FakeClock } from './fake-clock.js';
export { fakeClock } from './fake-clock.js';
export { POST_HELLO_WORLD_INGRESS_YAML } from './fake-kube-api/post-objects.js';
export type {
  FakeKubeApi,
  FakeKubeApiOptions,
  FakeKubeFaults,
  RecordedRequest,
} from './fake-kube-api/server.js';
export { mergePatch, startFakeKubeApi } from './fake-kube-api/server.js';
export type { FakeNamerOptions, FakeNamerWitness, PathLike } from './fake-namer.js';
export { fakeNamer } from './fake-namer.js';
export type { HttpAnswer, HttpGetOptions, HttpRequestOptions } from './http.js';
export { httpGet, httpRequest, rawExchange } from './http.js';
export type {
  InboundServer,
  InboundServerOptions,
  TestInbound,
  TestRequestRecord,
} from './inbound-server.js';
export { startInboundServer, testInbound } from './inbound-server.js';
export { kubeEndpointSlice, kubeService, untilInformer } from './kube.js';
export type { ScaleIngressOptions, ScaleSliceOptions } from './kube-scale.js';
export { scaleEndpointSlice, scaleIngress, scaleService } from './kube-scale.js';
export { counterValue } from './metrics.js';
export type { Pebble, PebbleOptions } from './pebble.js';
export { freePort, pebbleMissing, startPebble } from './pebble.js';
export type { Issued, KeyKind, LeafOptions, TestCa, TestPki } from './pki.js';
export { certTime, createTestPki } from './pki.js';
export type { TlsHandshake } from './tls-handshake.js';
export { tlsHandshake } from './tls-handshake.js';
