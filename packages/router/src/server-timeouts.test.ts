import { describe, expect, it } from 'vitest';
import { InvalidRouterOptionsError } from './errors.js';
import { DEFAULT_SERVER_TIMEOUTS, validateServerTimeouts } from './server-timeouts.js';

describe('validateServerTimeouts', () => {
  it('fills the defaults (headers 10 s, request 300 s, keep-alive 5 s)', () => {
    expect(validateServerTimeouts({})).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5000,
    });
    expect(DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs).toBe(10_000);
  });

  it('lowers a defaulted headersTimeoutMs to a smaller requestTimeoutMs', () => {
    expect(validateServerTimeouts({ requestTimeoutMs: 2000 })).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 2000,
    });
    // 0 disables the request timeout: nothing to clamp against.
    expect(validateServerTimeouts({ requestTimeoutMs: 0 }).headersTimeoutMs).toBe(10_000);
    expect(validateServerTimeouts({ headersTimeoutMs: 500, requestTimeoutMs: 500 }).headersTimeoutMs).toBe(
      500,
    );
  });

  it('rejects an explicit headersTimeoutMs above requestTimeoutMs, naming both and the server', () => {
    expect(() =>
      validateServerTimeouts({ headersTimeoutMs: 5000, requestTimeoutMs: 2000 }, 'servers[1]'),
    ).toThrow('servers[1].headersTimeoutMs (5000) must be <= servers[1].requestTimeoutMs (2000)');
  });

  it('rejects values that are not whole non-negative ms', () => {
    for (const bad of [
      { headersTimeoutMs: 0 },
      { headersTimeoutMs: -1 },
      { requestTimeoutMs: 1.5 },
      { keepAliveTimeoutMs: Number.NaN },
      { requestTimeoutMs: 2 ** 31 },
    ]) {
      expect(() => validateServerTimeouts(bad, 'servers[0]')).toThrow(InvalidRouterOptionsError);
    }
    expect(() => validateServerTimeouts({ keepAliveTimeoutMs: -5 }, 'servers[0]')).toThrow(
      /^servers\[0\]\.keepAliveTimeoutMs must be/,
    );
  });
});
