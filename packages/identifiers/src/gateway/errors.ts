/**
 * Errors of the `io.l5d.httproute` identifier. Identifying a request never throws ("no route" is
 * an `unidentified` value). Bad options throw {@link GatewayConfigError}; a route or Gateway that
 * cannot be served is a {@link GatewayProblemError}, reported (diagnostics channel, `problems()`,
 * route status) while the rest keep routing; an unreadable manifest is a {@link GatewaySourceError}.
 */
import { SwitchyardError } from '@switchyard/core';

/** Codes owned by the Gateway API identifier. */
export type GatewayIdentifierErrorCode =
  | 'SY_ERR_IDENTIFIERS_GATEWAY_CONFIG'
  | 'SY_ERR_IDENTIFIERS_GATEWAY_INVALID'
  | 'SY_ERR_IDENTIFIERS_GATEWAY_SOURCE'
  | 'SY_ERR_IDENTIFIERS_GATEWAY_STATUS';

/** `createHttpRouteIdentifier` was given bad options. The message names the option. */
export class GatewayConfigError extends SwitchyardError<'SY_ERR_IDENTIFIERS_GATEWAY_CONFIG'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_GATEWAY_CONFIG';
  /** The offending option, e.g. `dstPrefix`. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('SY_ERR_IDENTIFIERS_GATEWAY_CONFIG', `io.l5d.httproute: ${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * A Gateway API object of ours is malformed or unsupported (a bad regex, a relative path, a
 * Service backend without port, an unknown match type). The message reads
 * `<Kind> <namespace>/<name>: <field>: <reason>`.
 */
export class GatewayProblemError extends SwitchyardError<'SY_ERR_IDENTIFIERS_GATEWAY_INVALID'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_GATEWAY_INVALID';
  /** `<Kind> namespace/name`. */
  readonly object: string;
  /** The field path inside the object, e.g. `spec.rules[0].matches[1].path.value`. */
  readonly field: string;
  /** What is wrong, without the location. */
  readonly reason: string;
  constructor(object: string, field: string, reason: string) {
    super('SY_ERR_IDENTIFIERS_GATEWAY_INVALID', `${object}: ${field}: ${reason}`);
    this.object = object;
    this.field = field;
    this.reason = reason;
  }
}

/**
 * A manifest of the directory source cannot be read or is not YAML/JSON; the message starts
 * with `file[:line:col]`. The objects last read from that file keep routing.
 */
export class GatewaySourceError extends SwitchyardError<'SY_ERR_IDENTIFIERS_GATEWAY_SOURCE'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_GATEWAY_SOURCE';
  /** The manifest file (or directory). */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('SY_ERR_IDENTIFIERS_GATEWAY_SOURCE', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** Writing the status subresource of a Gateway API object failed; retried on the next change. */
export class GatewayStatusError extends SwitchyardError<'SY_ERR_IDENTIFIERS_GATEWAY_STATUS'> {
  static readonly code = 'SY_ERR_IDENTIFIERS_GATEWAY_STATUS';
  /** `<Kind> namespace/name`. */
  readonly object: string;
  constructor(object: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SY_ERR_IDENTIFIERS_GATEWAY_STATUS', `${object}: status write failed${why}`, options);
    this.object = object;
  }
}
