/** @packageDocumentation Test fakes for Switchyard: fake namers, a fake clock, fast-check arbitraries and a protocol-faithful Kubernetes API test server. */
export const PACKAGE_NAME = '@switchyard/testkit';
