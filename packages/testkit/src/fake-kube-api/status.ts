/**
 * `Status` objects, the body of every error the API server returns ("Response Status Kind" in the
 * API conventions), and the internal exception the request handlers throw to answer one. Reasons
 * and messages follow `k8s.io/apimachinery/pkg/api/errors`.
 */
import type { KubeStatus } from '@switchyard/k8s';

/** `Status.details`: what the error is about. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly { reason?: string; message: string; field?: string }[];
  readonly retryAfterSeconds?: number;
}

/** A failure Status body. */
export function failure(code: number, reason: string, message: string, details?: StatusDetails): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  } as KubeStatus;
}

/** Thrown inside request handling; the server answers it as `status` with the Status body. Never escapes the server. */
export class ApiStatusError extends Error {
  readonly status: KubeStatus;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: KubeStatus, headers: Record<string, string> = {}) {
    super(status.message);
    this.status = status;
    this.headers = headers;
  }
}

/** `group/resource` as apimachinery prints it in messages: `services`, `ingresses.networking.k8s.io`. */
export function qualified(group: string, plural: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(failure(400, 'BadRequest', message));
}

export function notFound(group: string, plural: string, name: string): ApiStatusError {
  return new ApiStatusError(
    failure(404, 'NotFound', `${qualified(group, plural)} "${name}" not found`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  );
}

export function pathNotFound(): ApiStatusError {
  return new ApiStatusError(failure(404, 'NotFound', 'the server could not find the requested resource'));
}

export function alreadyExists(group: string, plural: string, name: string): ApiStatusError {
  return new ApiStatusError(
    failure(409, 'AlreadyExists', `${qualified(group, plural)} "${name}" already exists`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    }),
  );
}

export function conflict(group: string, plural: string, name: string, detail: string): ApiStatusError {
  return new ApiStatusError(
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(group, plural)} "${name}": ${detail}`,
      {
        name,
        ...(group ? { group } : {}),
        kind: plural,
      },
    ),
  );
}

/** 422 Invalid with one cause per field error (`field: detail`). */
export function invalid(
  group: string,
  kind: string,
  name: string,
  causes: readonly { field: string; message: string; reason?: string }[],
): ApiStatusError {
  const what = group ? `${kind}.${group}` : kind;
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiStatusError(
    failure(422, 'Invalid', `${what} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: causes.map((c) => ({
        reason: c.reason ?? 'FieldValueInvalid',
        message: c.message,
        field: c.field,
      })),
    }),
  );
}

export function methodNotAllowed(): ApiStatusError {
  return new ApiStatusError(
    failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  );
}

/** 406: none of the media types in `Accept` can be produced (the server offers `offered`). */
export function notAcceptable(accept: string, offered: readonly string[]): ApiStatusError {
  return new ApiStatusError(
    failure(
      406,
      'NotAcceptable',
      `only the following media types are accepted: ${offered.join(', ')} (asked for ${accept})`,
    ),
  );
}

export function unsupportedMediaType(type: string, accepted: readonly string[]): ApiStatusError {
  return new ApiStatusError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${type || 'none'}) - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}

export function expired(message: string): ApiStatusError {
  return new ApiStatusError(failure(410, 'Expired', message));
}

export function tooManyRequests(retryAfterSeconds: number): ApiStatusError {
  return new ApiStatusError(
    failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }),
    { 'retry-after': String(retryAfterSeconds) },
  );
}
