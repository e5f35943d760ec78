/**
 * Errors thrown by the fake Kubernetes API's test-facing methods (`apply`, `delete`). They are
 * programming errors in a test, so they throw at once rather than becoming HTTP responses.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the testkit's Kubernetes API server; listed in `docs/errors.md` (testkit). */
export type FakeKubeErrorCode = 'SY_ERR_TESTKIT_K8S_UNKNOWN_KIND' | 'SY_ERR_TESTKIT_K8S_INVALID_OBJECT';

/** `apply`/`delete` was given an apiVersion/kind the server does not serve. */
export class FakeKubeUnknownKindError extends SwitchyardError<'SY_ERR_TESTKIT_K8S_UNKNOWN_KIND'> {
  constructor(what: string) {
    super('SY_ERR_TESTKIT_K8S_UNKNOWN_KIND', `fake Kubernetes API does not serve ${what}`);
  }
}

/** `apply` was given an object without `metadata.name` (or without a namespace for a namespaced kind). */
export class FakeKubeInvalidObjectError extends SwitchyardError<'SY_ERR_TESTKIT_K8S_INVALID_OBJECT'> {
  constructor(detail: string) {
    super('SY_ERR_TESTKIT_K8S_INVALID_OBJECT', `fake Kubernetes API: ${detail}`);
  }
}
