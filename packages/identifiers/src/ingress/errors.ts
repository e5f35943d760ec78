/**
 * Errors of the `io.l5d.ingress` identifier. Identifying a request never throws: "no rule" is an
 * `unidentified` value. Bad options throw {@link IngressConfigError}; an Ingress that cannot be
 * served becomes an {@link IngressProblemError} that is reported (diagnostics channel and
 * `problems()`) while the rest keep routing; an unreadable manifest is an {@link IngressSourceError}.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the ingress identifier. */
export type IngressIdentifierErrorCode =
  | 'SY_ERR_IDENTIFIERS_INGRESS_CONFIG'
  | 'SY_ERR_IDENTIFIERS_INGRESS_INVALID'
  | 'SY_ERR_IDENTIFIERS_INGRESS_SOURCE'
  | 'SY_ERR_IDENTIFIERS_INGRESS_STATUS';

/** `createIngressIdentifier` was given bad options. The message names the option. */
export class IngressConfigError extends SwitchyardError<'SY_ERR_IDENTIFIERS_INGRESS_CONFIG'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_INGRESS_CONFIG';
  /** The offending option, e.g. `dstPrefix`. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('SY_ERR_IDENTIFIERS_INGRESS_CONFIG', `io.l5d.ingress: ${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * An Ingress this identifier would serve is malformed or unsupported (a resource backend, a
 * backend without service name or port, a bad regex in `compat: linkerd1`, a relative Exact or
 * Prefix path, a bad wildcard host). The whole Ingress is skipped; the message reads
 * `Ingress <namespace>/<name>: <field>: <reason>`.
 */
export class IngressProblemError extends SwitchyardError<'SY_ERR_IDENTIFIERS_INGRESS_INVALID'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_INGRESS_INVALID';
  /** `namespace/name` of the Ingress. */
  readonly object: string;
  /** The field path inside the object, e.g. `spec.rules[0].http.paths[1].backend`. */
  readonly field: string;
  /** What is wrong, without the location. */
  readonly reason: string;
  constructor(object: string, field: string, reason: string) {
    super('SY_ERR_IDENTIFIERS_INGRESS_INVALID', `Ingress ${object}: ${field}: ${reason}`);
    this.object = object;
    this.field = field;
    this.reason = reason;
  }
}

/**
 * A manifest of the `directory` source cannot be read or is not YAML; the message starts with
 * `file[:line:col]`. The objects last read from that file keep routing.
 */
export class IngressSourceError extends SwitchyardError<'SY_ERR_IDENTIFIERS_INGRESS_SOURCE'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_INGRESS_SOURCE';
  /** The manifest file. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('SY_ERR_IDENTIFIERS_INGRESS_SOURCE', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** Writing `status.loadBalancer.ingress` on an Ingress failed; it is retried on the next change. */
export class IngressStatusError extends SwitchyardError<'SY_ERR_IDENTIFIERS_INGRESS_STATUS'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_INGRESS_STATUS';
  /** `namespace/name` of the Ingress. */
  readonly object: string;
  constructor(object: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_IDENTIFIERS_INGRESS_STATUS', `Ingress ${object}: status write failed${why}`, options);
    this.object = object;
  }
}
