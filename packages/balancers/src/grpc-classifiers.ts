/**
 * gRPC response classifiers: a gRPC call's outcome is its `grpc-status` (in the trailers, or in
 * the headers of a trailers-only response), not its HTTP status, which is 200 for failed calls
 * too. Retryability is decided by status code, whatever the method, as Linkerd 1's
 * `io.l5d.h2.grpc.*` classifiers do: by default only UNAVAILABLE (14) is retried.
 */
import type { ClassifierInput, ResponseClass } from './classifiers.js';
import { requireOption } from './errors.js';

/** What a gRPC classifier sees: the HTTP classifier input plus the call's `grpc-status`, when there was one. */
export type GrpcClassifierInput = ClassifierInput & {
  /** `grpc-status` from the trailers (or the trailers-only headers), as received. */
  readonly grpcStatus?: string | number | undefined;
};

/** Classifies one gRPC call. Also a valid `ResponseClassifier` (a missing `grpcStatus` is read from the HTTP status). */
export type GrpcResponseClassifier = (input: GrpcClassifierInput) => ResponseClass;

/** Linkerd's gRPC classifier kinds. */
export type GrpcResponseClassifierKind =
  | 'io.l5d.h2.grpc.default'
  | 'io.l5d.h2.grpc.alwaysRetryable'
  | 'io.l5d.h2.grpc.neverRetryable'
  | 'io.l5d.h2.grpc.retryableStatusCodes';

/** UNAVAILABLE: the one code gRPC itself calls safe to retry. */
const UNAVAILABLE = 14;
const UNKNOWN = 2;

/**
 * The gRPC code of a call: `grpc-status` when present and well formed (0–99: unknown numbers are
 * kept, they are still failures); otherwise derived from the HTTP status as the gRPC spec maps
 * it (`doc/http-grpc-status-mapping.md`: 400 → INTERNAL, 401 → UNAUTHENTICATED, 403 →
 * PERMISSION_DENIED, 404 → UNIMPLEMENTED, 429/502/503/504 → UNAVAILABLE, other → UNKNOWN; a 200
 * without `grpc-status` is UNKNOWN). A transport error (no response) counts as UNAVAILABLE.
 */
export function grpcCodeOf(input: GrpcClassifierInput): number {
  const raw = input.grpcStatus;
  if (raw !== undefined) {
    const text = String(raw);
    if (/^[0-9]{1,2}$/.test(text)) return Number(text);
    return UNKNOWN;
  }
  if (input.status === undefined) return UNAVAILABLE;
  switch (input.status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return UNAVAILABLE;
    default:
      return UNKNOWN;
  }
}

/** A classifier treating `retryable` codes as retryable failures and every other non-zero code as a failure. */
export function grpcRetryableStatusCodes(retryable: Iterable<number>): GrpcResponseClassifier {
  const codes = new Set(retryable);
  for (const code of codes) {
    requireOption(
      Number.isSafeInteger(code) && code >= 0,
      'io.l5d.h2.grpc.retryableStatusCodes',
      'retryableStatusCodes: non-negative integers',
      code,
    );
  }
  return (input) => {
    const code = grpcCodeOf(input);
    if (code === 0) return 'success';
    return codes.has(code) ? 'retryableFailure' : 'failure';
  };
}

/** gRPC classifiers by name. */
export const grpcClassifiers = Object.freeze({
  /** UNAVAILABLE is retryable; every other non-OK code is a failure. Linkerd's default for gRPC. */
  default: grpcRetryableStatusCodes([UNAVAILABLE]),
  /** Every non-OK code is retryable. */
  alwaysRetryable: ((input) =>
    grpcCodeOf(input) === 0 ? 'success' : 'retryableFailure') as GrpcResponseClassifier,
  /** No code is retryable. */
  neverRetryable: ((input) => (grpcCodeOf(input) === 0 ? 'success' : 'failure')) as GrpcResponseClassifier,
});

/** Options of {@link grpcResponseClassifier}. */
export interface GrpcResponseClassifierOptions {
  /** Required by `io.l5d.h2.grpc.retryableStatusCodes`: the codes to retry. */
  readonly retryableStatusCodes?: readonly number[];
}

/**
 * The classifier for a Linkerd `responseClassifier.kind`. Throws `SY_ERR_BALANCER_INVALID_OPTION`
 * when `retryableStatusCodes` is missing for the kind that needs it, or is not a list of codes.
 */
export function grpcResponseClassifier(
  kind: GrpcResponseClassifierKind,
  options: GrpcResponseClassifierOptions = {},
): GrpcResponseClassifier {
  switch (kind) {
    case 'io.l5d.h2.grpc.default':
      return grpcClassifiers.default;
    case 'io.l5d.h2.grpc.alwaysRetryable':
      return grpcClassifiers.alwaysRetryable;
    case 'io.l5d.h2.grpc.neverRetryable':
      return grpcClassifiers.neverRetryable;
    case 'io.l5d.h2.grpc.retryableStatusCodes': {
      const codes = options.retryableStatusCodes;
      requireOption(Array.isArray(codes), kind, 'retryableStatusCodes: a list of gRPC status codes', codes);
      return grpcRetryableStatusCodes(codes as readonly number[]);
    }
  }
}
