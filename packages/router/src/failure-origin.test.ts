import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  BodyTooLargeError,
  ClientGoneError,
  ConnectFailedError,
  NoRouteError,
  TotalTimeoutError,
  UnforwardableRequestError,
  UpstreamFailedError,
} from './errors.js';
import { blamesEndpoint, failureOrigin, isRequeueable } from './failure-origin.js';

/** An error as undici reports it: a message and a `code`. */
function undiciError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('failureOrigin', () => {
  it('blames the endpoint only for what the endpoint did', () => {
    const cases: [unknown, ReturnType<typeof failureOrigin>][] = [
      [new ConnectFailedError('e:1', undiciError('ECONNREFUSED')), { kind: 'endpoint', stage: 'connect' }],
      [
        new UpstreamFailedError('e:1', undiciError('UND_ERR_SOCKET', 'other side closed')),
        { kind: 'endpoint', stage: 'before-response', timedOut: false },
      ],
      [
        new UpstreamFailedError('e:1', undiciError('UND_ERR_HEADERS_TIMEOUT')),
        { kind: 'endpoint', stage: 'before-response', timedOut: true },
      ],
      [new AttemptTimeoutError(5), { kind: 'endpoint', stage: 'before-response', timedOut: true }],
      [
        new UpstreamFailedError('e:1', undiciError('NGHTTP2_REFUSED_STREAM')),
        { kind: 'endpoint', stage: 'refused' },
      ],
      [
        new UpstreamFailedError('e:1', undiciError('NGHTTP2_REFUSED_STREAM'), true),
        { kind: 'endpoint', stage: 'response' },
      ],
      [
        new UpstreamFailedError('e:1', undiciError('HPE_INVALID_CONSTANT')),
        { kind: 'endpoint', stage: 'response' },
      ],
      [
        new UpstreamFailedError('e:1', undiciError('ERR_HTTP_INVALID_STATUS_CODE')),
        { kind: 'endpoint', stage: 'response' },
      ],
      [
        new UpstreamFailedError('e:1', undiciError('ECONNRESET'), true),
        { kind: 'endpoint', stage: 'response' },
      ],
      [
        new UnforwardableRequestError(undiciError('UND_ERR_INVALID_ARG', 'invalid x-user header')),
        { kind: 'local', reason: 'unforwardable' },
      ],
      [new ConnectFailedError('e:1', undiciError('UND_ERR_CLOSED')), { kind: 'local', reason: 'retired' }],
      [
        new UpstreamFailedError('e:1', undiciError('UND_ERR_DESTROYED')),
        { kind: 'local', reason: 'closing' },
      ],
      [new TotalTimeoutError(5), { kind: 'local', reason: 'deadline' }],
      [new NoRouteError('neg', '/svc/x', { base: '', local: '' }), { kind: 'local', reason: 'unknown' }],
      [new Error('boom'), { kind: 'local', reason: 'unknown' }],
      [new ClientGoneError(), { kind: 'client', reason: 'gone' }],
      [new BodyTooLargeError(10), { kind: 'client', reason: 'body' }],
    ];
    for (const [err, origin] of cases) expect([err, failureOrigin(err)]).toEqual([err, origin]);
  });

  it('allows accrual only for endpoint failures and requeues only what never reached one', () => {
    const connect = failureOrigin(new ConnectFailedError('e:1', undiciError('ECONNREFUSED')));
    const retired = failureOrigin(new ConnectFailedError('e:1', undiciError('UND_ERR_CLOSED')));
    const reset = failureOrigin(new UpstreamFailedError('e:1', undiciError('ECONNRESET')));
    const refused = failureOrigin(new UnforwardableRequestError(new Error('bad')));
    const gone = failureOrigin(new ClientGoneError());
    expect([connect, retired, reset, refused, gone].map(blamesEndpoint)).toEqual([
      true,
      false,
      true,
      false,
      false,
    ]);
    expect([connect, retired, reset, refused, gone].map(isRequeueable)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
