import { describe, expect, it } from 'vitest';
import { grpcClassifiers, grpcCodeOf } from './experimental.js';
import type { ResponseClassifier } from './index.js';
import { BalancerError, grpcResponseClassifier } from './index.js';

const call = (grpcStatus: string | undefined, method = 'POST') => ({ method, status: 200, grpcStatus });

describe('gRPC response classifiers', () => {
  it('io.l5d.h2.grpc.default retries UNAVAILABLE only, whatever the method', () => {
    const c = grpcResponseClassifier('io.l5d.h2.grpc.default');
    expect(c(call('0'))).toBe('success');
    expect(c(call('14'))).toBe('retryableFailure');
    expect(c(call('14', 'GET'))).toBe('retryableFailure');
    for (const code of ['1', '2', '4', '8', '12', '13', '16']) expect(c(call(code))).toBe('failure');
  });

  it('alwaysRetryable and neverRetryable', () => {
    expect(grpcClassifiers.alwaysRetryable(call('4'))).toBe('retryableFailure');
    expect(grpcClassifiers.alwaysRetryable(call('0'))).toBe('success');
    expect(grpcClassifiers.neverRetryable(call('14'))).toBe('failure');
  });

  it('retryableStatusCodes retries the configured codes', () => {
    const c = grpcResponseClassifier('io.l5d.h2.grpc.retryableStatusCodes', {
      retryableStatusCodes: [2, 5, 14, 100],
    });
    expect(c(call('5'))).toBe('retryableFailure');
    expect(c(call('4'))).toBe('failure');
    expect(() => grpcResponseClassifier('io.l5d.h2.grpc.retryableStatusCodes')).toThrow(BalancerError);
    expect(() =>
      grpcResponseClassifier('io.l5d.h2.grpc.retryableStatusCodes', { retryableStatusCodes: [-1] }),
    ).toThrow(/retryableStatusCodes.*-1/);
  });

  it('without grpc-status, reads the HTTP status as the gRPC spec maps it; a transport error is UNAVAILABLE', () => {
    expect(grpcCodeOf({ method: 'POST', status: 200 })).toBe(2);
    expect(grpcCodeOf({ method: 'POST', status: 503 })).toBe(14);
    expect(grpcCodeOf({ method: 'POST', status: 404 })).toBe(12);
    expect(grpcCodeOf({ method: 'POST', status: 400 })).toBe(13);
    expect(grpcCodeOf({ method: 'POST', error: new Error('ECONNRESET') })).toBe(14);
    expect(grpcCodeOf(call('garbage'))).toBe(2);
    expect(grpcClassifiers.default({ method: 'POST', error: new Error('reset') })).toBe('retryableFailure');
  });

  it('is usable wherever an HTTP ResponseClassifier is', () => {
    const asHttp: ResponseClassifier = grpcClassifiers.default;
    expect(asHttp({ method: 'GET', status: 502 })).toBe('retryableFailure');
  });
});
