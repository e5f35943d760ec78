/**
 * The client-facing timeouts of one router server, validated and resolved to the values Node's
 * http server is given. Node refuses to start when `headersTimeout > requestTimeout`, so the two
 * are checked together here: a configuration either resolves to settings that start, or is
 * rejected with an error naming both options. Pure, so the config layer can run it at `--check`
 * time before anything listens.
 */
import { InvalidRouterOptionsError } from './errors.js';

/** The timeout options of a server, as in `RouterServerOptions`. */
export interface ServerTimeoutOptions {
  /** Time to receive the request head, ms (slowloris). Default 10000. */
  readonly headersTimeoutMs?: number;
  /** Time to receive the whole request (head and body), ms; 0 disables. Default 300000. */
  readonly requestTimeoutMs?: number;
  /** Idle time of a client keep-alive connection, ms; 0 disables. Default 5000. */
  readonly keepAliveTimeoutMs?: number;
}

/** Resolved timeouts, every one set; Node's `headersTimeout`, `requestTimeout`, `keepAliveTimeout`. */
export interface ServerTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** Defaults: nginx's `client_header_timeout` is 60 s; 10 s bounds slowloris far tighter and is ample for a head. */
export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5000,
});

/** Node timers hold at most 2^31-1 ms. */
const MAX_MS = 2 ** 31 - 1;

function check(where: string, name: string, value: number | undefined, allowZero: boolean): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > MAX_MS || (!allowZero && value === 0)) {
    throw new InvalidRouterOptionsError(
      `${where}.${name} must be an integer number of ms ${allowZero ? '>= 0' : '> 0'} and <= ${MAX_MS}, got ${value}`,
    );
  }
}

/**
 * Validates and resolves a server's timeouts. `where` names the server in messages (e.g.
 * `servers[0]`). When `requestTimeoutMs` (non-zero) is smaller than `headersTimeoutMs`: an explicit
 * `headersTimeoutMs` is rejected naming both options, a defaulted one is lowered to
 * `requestTimeoutMs` (the head is part of the request). Throws `InvalidRouterOptionsError`.
 * @example validateServerTimeouts({ requestTimeoutMs: 2000 }) // → headersTimeoutMs 2000
 */
export function validateServerTimeouts(options: ServerTimeoutOptions, where = 'servers[]'): ServerTimeouts {
  check(where, 'headersTimeoutMs', options.headersTimeoutMs, false);
  check(where, 'requestTimeoutMs', options.requestTimeoutMs, true);
  check(where, 'keepAliveTimeoutMs', options.keepAliveTimeoutMs, true);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs;
  let headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs;
  if (requestTimeoutMs !== 0 && headersTimeoutMs > requestTimeoutMs) {
    if (options.headersTimeoutMs !== undefined) {
      throw new InvalidRouterOptionsError(
        `${where}.headersTimeoutMs (${headersTimeoutMs}) must be <= ${where}.requestTimeoutMs (${requestTimeoutMs}): the head is part of the request`,
      );
    }
    headersTimeoutMs = requestTimeoutMs;
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs,
  };
}
