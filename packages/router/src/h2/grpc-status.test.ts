import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  BackendRequestTimeoutError,
  BadDtabHeaderError,
  BindingTimeoutError,
  BodyTooLargeError,
  ConnectFailedError,
  LocalAnswerError,
  NoRouteError,
  OverloadedError,
  TotalTimeoutError,
  UnknownDestinationError,
  UpstreamFailedError,
} from '../errors.js';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  GrpcStatus,
  grpcErrorResponse,
  isGrpcRequest,
} from './grpc-status.js';

const dtabs = { base: '/svc=>/#/io.l5d.fs', local: '' };

describe('router errors as gRPC statuses', () => {
  it.each([
    [
      'unknown destination',
      new UnknownDestinationError('GET /', 'no ingress rule'),
      GrpcStatus.UNIMPLEMENTED,
    ],
    ['neg name', new NoRouteError('neg', '/svc/a.B', dtabs), GrpcStatus.UNIMPLEMENTED],
    ['empty name', new NoRouteError('empty', '/svc/a.B', dtabs), GrpcStatus.UNIMPLEMENTED],
    ['no endpoints', new NoRouteError('no-endpoints', '/svc/a.B', dtabs), GrpcStatus.UNAVAILABLE],
    ['bind failed', new NoRouteError('bind-failed', '/svc/a.B', dtabs), GrpcStatus.UNAVAILABLE],
    [
      'connect failed',
      new ConnectFailedError('127.0.0.1:1', new Error('ECONNREFUSED')),
      GrpcStatus.UNAVAILABLE,
    ],
    ['reset', new UpstreamFailedError('127.0.0.1:1', new Error('ECONNRESET')), GrpcStatus.UNAVAILABLE],
    ['binding timeout', new BindingTimeoutError('/svc/a', 10), GrpcStatus.DEADLINE_EXCEEDED],
    ['attempt timeout', new AttemptTimeoutError(10), GrpcStatus.DEADLINE_EXCEEDED],
    ['total timeout', new TotalTimeoutError(10), GrpcStatus.DEADLINE_EXCEEDED],
    ['backendRequest timeout', new BackendRequestTimeoutError(10), GrpcStatus.DEADLINE_EXCEEDED],
    ['overloaded', new OverloadedError(10), GrpcStatus.RESOURCE_EXHAUSTED],
    [
      'rate limited (a layer)',
      new LocalAnswerError('SY_ERR_RATE_LIMITED', 'slow down'),
      GrpcStatus.RESOURCE_EXHAUSTED,
    ],
    ['shedding (a layer)', new LocalAnswerError('SY_ERR_OVERLOADED', 'shed'), GrpcStatus.RESOURCE_EXHAUSTED],
    ['body too large', new BodyTooLargeError(10), GrpcStatus.RESOURCE_EXHAUSTED],
    ['bad dtab header', new BadDtabHeaderError('l5d-dtab', new Error('x')), GrpcStatus.INVALID_ARGUMENT],
    ['an error rescue does not know', new Error('boom'), GrpcStatus.UNKNOWN],
  ])('%s', (_name, err, status) => {
    const r = grpcErrorResponse(new Error('wrapped', { cause: err }), { clearContext: false });
    expect(r.status).toBe(status);
    expect(r.headers).toMatchObject({
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(status),
    });
  });

  it('clearContext hides dtabs in grpc-message as it does in HTTP bodies', () => {
    const err = new NoRouteError('no-endpoints', '/svc/secret', dtabs);
    expect(decodeGrpcMessage(grpcErrorResponse(err, { clearContext: true }).headers['grpc-message'])).toBe(
      'Unable to route request!',
    );
    expect(
      decodeGrpcMessage(grpcErrorResponse(err, { clearContext: false }).headers['grpc-message']),
    ).toContain('/svc/secret');
  });

  it('grpc-message percent-encoding round-trips and stays printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const encoded = encodeGrpcMessage(s);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(encoded).toBe(encoded.trim());
        expect(decodeGrpcMessage(encoded)).toBe(s);
      }),
    );
    expect(encodeGrpcMessage('50% done\n')).toBe('50%25 done%0A');
    expect(decodeGrpcMessage('bad %zz escape')).toBe('bad %zz escape');
  });

  it('recognises gRPC content types', () => {
    expect(isGrpcRequest('application/grpc')).toBe(true);
    expect(isGrpcRequest('application/grpc+proto')).toBe(true);
    expect(isGrpcRequest(['application/grpc+json'])).toBe(true);
    expect(isGrpcRequest('application/json')).toBe(false);
    expect(isGrpcRequest(undefined)).toBe(false);
  });
});
