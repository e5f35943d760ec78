/**
 * The client's retry rules and request headers that do not depend on a connection: when a failed
 * request is worth repeating (client-go's `rest.Request` rules), how long `Retry-After` says to
 * wait, and the `Impersonate-*` headers.
 */
import type { BackoffOptions } from './backoff.js';
import type { KubeImpersonation } from './connection.js';

/**
 * When one-shot calls retry, after client-go's `rest.Request`: a 429 TooManyRequests (API Priority
 * and Fairness) and any 5xx that carries `Retry-After` are retried after that many seconds (capped
 * at `maxRetryAfterSeconds`), for every call — the server did not act on them. Connection
 * failures (refused, reset, closed before a response) are retried with jittered exponential
 * backoff for the calls that are safe to repeat: `list`, `get` and `patchStatus` (a merge patch is
 * idempotent). A 5xx without `Retry-After` is not retried unless `serverErrors` is true (then also
 * with backoff, for those same calls): it is usually not transient (a failing admission webhook).
 * Watches retry only 429s; informers handle the rest.
 */
export interface KubeRetryOptions {
  /** Retries after the first attempt. Default 5; 0 disables retrying. */
  readonly maxRetries?: number;
  /** Backoff between network-error retries. Default 200 ms doubling to 5 s, equal jitter. */
  readonly backoff?: BackoffOptions;
  /** Upper bound for a server's `Retry-After`, seconds. Default 60. */
  readonly maxRetryAfterSeconds?: number;
  /** Also retry 5xx responses without `Retry-After` (idempotent calls only). Default false. */
  readonly serverErrors?: boolean;
}

/** Which failures a request may retry: `idempotent` (list, get, merge patch), `throttle` (429 and Retry-After only). */
export type RetryPolicy = 'idempotent' | 'throttle';

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A connection failure worth retrying (not a TLS verification failure or a bad URL). */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  }
  return false;
}

export function impersonationHeaders(i: KubeImpersonation | undefined): Record<string, string | string[]> {
  if (!i) return {};
  const h: Record<string, string | string[]> = { 'impersonate-user': i.user };
  if (i.groups?.length) h['impersonate-group'] = [...i.groups];
  if (i.uid) h['impersonate-uid'] = i.uid;
  for (const [k, vs] of Object.entries(i.extra ?? {})) {
    // Header names are case-insensitive, so keys are percent-encoded (the API server decodes them).
    h[`impersonate-extra-${encodeURIComponent(k).toLowerCase()}`] = [...vs];
  }
  return h;
}
