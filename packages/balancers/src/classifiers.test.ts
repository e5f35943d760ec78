import { describe, expect, it } from 'vitest';
import { defaultResponseClassifierKind } from './classifiers.js';
import { classifiers, responseClassifiers } from './index.js';

const methods = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'POST', 'PATCH'] as const;
// Expected class of a 503 per method, per classifier (R = retryable, F = failure, S = success).
const table: Record<string, string> = {
  'io.l5d.http.nonRetryable5XX': 'FFFFFFFF',
  'io.l5d.http.retryableRead5XX': 'RRRRFFFF',
  'io.l5d.http.retryableIdempotent5XX': 'RRRRRRFF',
  'io.l5d.http.retryableAll5XX': 'RRRRRRRR',
  'io.l5d.http.allSuccessful': 'SSSSSSSS',
};
const letter = { success: 'S', retryableFailure: 'R', failure: 'F' } as const;

describe('HTTP response classifiers', () => {
  it.each(Object.entries(table))('%s classifies 5xx by method as Linkerd does', (kind, expected) => {
    const c = responseClassifiers[kind as keyof typeof responseClassifiers];
    expect(methods.map((method) => letter[c({ method, status: 503 })]).join('')).toBe(expected);
    // 2xx–4xx are successes for every classifier (a 404 is the server answering).
    for (const status of [200, 204, 301, 404, 499]) expect(c({ method: 'GET', status })).toBe('success');
    // Method case does not matter.
    expect(c({ method: 'get', status: 500 })).toBe(c({ method: 'GET', status: 500 }));
  });

  it('treats a transport error like a 5xx, except allSuccessful which still calls it a failure', () => {
    const error = new Error('ECONNRESET');
    expect(classifiers.nonRetryable5XX({ method: 'GET', error })).toBe('failure');
    expect(classifiers.retryableRead5XX({ method: 'GET', error })).toBe('retryableFailure');
    expect(classifiers.retryableRead5XX({ method: 'POST', error })).toBe('failure');
    expect(classifiers.retryableAll5XX({ method: 'POST', error })).toBe('retryableFailure');
    expect(classifiers.allSuccessful({ method: 'GET', error })).toBe('failure');
  });

  it('defaults to nonRetryable5XX', () => {
    expect(responseClassifiers[defaultResponseClassifierKind]).toBe(classifiers.nonRetryable5XX);
  });
});
