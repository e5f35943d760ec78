import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  BadDtabHeaderError,
  ConnectFailedError,
  InvalidRouterOptionsError,
  LocalAnswerError,
  NoRouteError,
  OverloadedError,
  UnknownDestinationError,
} from './errors.js';
import { encodeErrHeader, rescue } from './rescue.js';

describe('rescue', () => {
  it('maps codes to statuses, walking cause', () => {
    const wrapped = new Error('outer', { cause: new AttemptTimeoutError(5) });
    expect(rescue(wrapped, { clearContext: false })).toMatchObject({
      status: 503,
      code: 'SY_ERR_ROUTER_ATTEMPT_TIMEOUT',
    });
    expect(
      rescue(new UnknownDestinationError('Request("GET /", from /1.2.3.4:5)', 'why', 404), {
        clearContext: true,
      }),
    ).toEqual({
      status: 404,
      body: 'Unknown destination: Request("GET /", from /1.2.3.4:5) / why',
      code: 'SY_ERR_UNKNOWN_DST',
    });
    expect(rescue(new BadDtabHeaderError('l5d-dtab', new Error('bad')), { clearContext: false }).status).toBe(
      400,
    );
    expect(rescue(new OverloadedError(3), { clearContext: true }).status).toBe(503);
    expect(rescue(new Error('boom'), { clearContext: false })).toEqual({
      status: 502,
      body: 'boom',
      code: 'unknown',
    });
    expect(rescue(new Error('boom'), { clearContext: true }).body).toBe('Bad gateway.');
  });

  it("writes a layer's coded local answer with its status and headers", () => {
    const limited = new LocalAnswerError('SY_ERR_RATE_LIMITED', 'Too many requests', {
      headers: { 'retry-after': '2' },
    });
    expect(rescue(new Error('wrapped', { cause: limited }), { clearContext: true })).toEqual({
      status: 429,
      body: 'Too many requests',
      code: 'SY_ERR_RATE_LIMITED',
      headers: { 'retry-after': '2' },
    });
    // Any error of that shape (a package that does not import the router), status out of range → default.
    const shaped = Object.assign(new Error('shed'), { code: 'SY_ERR_OVERLOADED', status: 200 });
    expect(rescue(shaped, { clearContext: false })).toMatchObject({ status: 503, body: 'shed' });
  });

  it('answers every request-time code with its own status; invalid options fall through to the cause', () => {
    const statuses: Record<string, number> = {
      SY_ERR_ROUTER_BAD_REQUEST: 400,
      SY_ERR_ROUTER_UNFORWARDABLE: 400,
      SY_ERR_ROUTER_HTTP_VERSION: 505,
      SY_ERR_ROUTER_METHOD_NOT_ALLOWED: 405,
      SY_ERR_ROUTER_BODY_TOO_LARGE: 413,
      SY_ERR_ROUTER_CLOSED: 503,
      SY_ERR_ROUTER_BINDING_TIMEOUT: 503,
      SY_ERR_ROUTER_TOTAL_TIMEOUT: 503,
      SY_ERR_ROUTER_ROUTE_TIMEOUT: 504,
      SY_ERR_ROUTER_BACKEND_REQUEST_TIMEOUT: 504,
      SY_ERR_ROUTER_UPSTREAM_FAILED: 502,
      SY_ERR_NO_BROKERS: 502,
      SY_ERR_RATE_LIMITED: 429,
      SY_ERR_OVERLOADED: 503,
    };
    for (const [code, status] of Object.entries(statuses)) {
      const err = Object.assign(new Error(code), { code });
      expect(rescue(err, { clearContext: false }), code).toMatchObject({ status, code });
    }
    const invalid = Object.assign(new Error('bad', { cause: new OverloadedError(1) }), {
      code: 'SY_ERR_ROUTER_INVALID_OPTIONS',
    });
    expect(rescue(invalid, { clearContext: false })).toMatchObject({
      status: 503,
      code: 'SY_ERR_ROUTER_OVERLOADED',
    });
    expect(rescue(new InvalidRouterOptionsError('bad'), { clearContext: false })).toMatchObject({
      status: 502,
      code: 'SY_ERR_ROUTER_INVALID_OPTIONS',
    });
  });

  it('hides dtabs and addresses with clearContext', () => {
    const noRoute = new NoRouteError('neg', '/svc/x', { base: '/svc=>/#/io.l5d.k8s', local: '' });
    expect(rescue(noRoute, { clearContext: true }).body).toBe('Unable to route request!');
    expect(rescue(noRoute, { clearContext: false }).body).toContain('base dtab: /svc=>/#/io.l5d.k8s');
    const refused = new ConnectFailedError('10.1.2.3:80', new Error('ECONNREFUSED'));
    expect(rescue(refused, { clearContext: true }).body).not.toContain('10.1.2.3');
    expect(rescue(refused, { clearContext: false }).body).toBe(
      'Unable to establish connection to 10.1.2.3:80.',
    );
  });

  it('URL-encodes l5d-err and never cuts an escape', () => {
    expect(encodeErrHeader('a b/é', 100)).toBe('a%20b%2F%C3%A9');
    expect(encodeErrHeader('a b', 2)).toBe('a');
  });
});
