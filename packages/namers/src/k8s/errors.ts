/**
 * Errors of the `io.l5d.k8s` namer. Lookups never throw: an unknown service or port is `neg`, a
 * Kubernetes API that cannot be reached keeps lookups `pending` (the informers retry with backoff)
 * and, once a set is known, keeps the last known good set. Only bad options throw.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the `io.l5d.k8s` namer. */
export type K8sNamerErrorCode = 'SY_ERR_NAMERS_K8S_CONFIG' | 'SY_ERR_NAMERS_K8S_CONNECT';

/** `createK8sNamer` was given bad options (a `prefix` that is not a path, both `client` and `host`...). */
export class K8sNamerConfigError extends SwitchyardError<'SY_ERR_NAMERS_K8S_CONFIG'> {
  static readonly code = 'SY_ERR_NAMERS_K8S_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_NAMERS_K8S_CONFIG', `io.l5d.k8s: ${message}`, options);
  }
}

/**
 * No connection configuration could be found (not in a pod, no kubeconfig) when the namer was
 * given neither `client`, `config` nor `host`/`port`. Lookups are `failed` with this error.
 */
export class K8sNamerConnectError extends SwitchyardError<'SY_ERR_NAMERS_K8S_CONNECT'> {
  static readonly code = 'SY_ERR_NAMERS_K8S_CONNECT';
  constructor(options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_NAMERS_K8S_CONNECT', `io.l5d.k8s: no Kubernetes API connection${why}`, options);
  }
}
