/**
 * HTTP response classifiers: decide whether a finished request succeeded, failed in a way that is
 * safe to retry, or failed for good. Failure accrual counts failures; retries happen only for
 * `retryableFailure`. Whether a retry is safe depends on the method: a 5xx on GET can be repeated,
 * a 5xx on POST may have had effects. Source: Linkerd 1 `io.l5d.http.*` response classifiers.
 */

/** The outcome class of one request. */
export type ResponseClass = 'success' | 'retryableFailure' | 'failure';

/** What a classifier sees: the request method and either the response status or a transport error. */
export type ClassifierInput =
  | { readonly method: string; readonly status: number; readonly error?: undefined }
  | { readonly method: string; readonly error: unknown; readonly status?: undefined };

/** Maps a request's method and its response status (or transport error) to a {@link ResponseClass}. */
export type ResponseClassifier = (input: ClassifierInput) => ResponseClass;

/** Linkerd's classifier kinds. */
export type ResponseClassifierKind =
  | 'io.l5d.http.nonRetryable5XX'
  | 'io.l5d.http.retryableRead5XX'
  | 'io.l5d.http.retryableIdempotent5XX'
  | 'io.l5d.http.retryableAll5XX'
  | 'io.l5d.http.allSuccessful';

const READ = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const IDEMPOTENT = new Set([...READ, 'PUT', 'DELETE']);

function failed(input: ClassifierInput): boolean {
  return input.status === undefined || (input.status >= 500 && input.status <= 599);
}

function retryableFor(methods: ReadonlySet<string> | 'all'): ResponseClassifier {
  return (input) => {
    if (!failed(input)) return 'success';
    return methods === 'all' || methods.has(input.method.toUpperCase()) ? 'retryableFailure' : 'failure';
  };
}

/** Classifiers by name. A transport error counts like a 5xx. */
export const classifiers = Object.freeze({
  /** 5xx and errors are failures, never retried. Linkerd's default. */
  nonRetryable5XX: ((input) => (failed(input) ? 'failure' : 'success')) as ResponseClassifier,
  /** 5xx and errors on GET, HEAD, OPTIONS, TRACE are retryable; on other methods, failures. */
  retryableRead5XX: retryableFor(READ),
  /** As `retryableRead5XX`, plus PUT and DELETE. */
  retryableIdempotent5XX: retryableFor(IDEMPOTENT),
  /** 5xx and errors are retryable whatever the method (POST and PATCH included). */
  retryableAll5XX: retryableFor('all'),
  /** Every response is a success, whatever its status; transport errors are still failures. */
  allSuccessful: ((input) => (input.status === undefined ? 'failure' : 'success')) as ResponseClassifier,
});

/** The classifiers keyed by Linkerd `responseClassifier.kind`. */
export const responseClassifiers: Readonly<Record<ResponseClassifierKind, ResponseClassifier>> =
  Object.freeze({
    'io.l5d.http.nonRetryable5XX': classifiers.nonRetryable5XX,
    'io.l5d.http.retryableRead5XX': classifiers.retryableRead5XX,
    'io.l5d.http.retryableIdempotent5XX': classifiers.retryableIdempotent5XX,
    'io.l5d.http.retryableAll5XX': classifiers.retryableAll5XX,
    'io.l5d.http.allSuccessful': classifiers.allSuccessful,
  });

/** The default classifier kind (Linkerd's). */
export const defaultResponseClassifierKind: ResponseClassifierKind = 'io.l5d.http.nonRetryable5XX';
