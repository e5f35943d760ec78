/**
 * The checks every admin request passes before its handler: the Host name (DNS rebinding), the
 * Origin of a mutating request (CSRF), and the bearer token of control routes; plus the one place
 * that turns a handler's failure into a response.
 */
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertNever } from '@switchyard/core';
import type { BearerToken } from './bearer-token.js';
import { AdminError } from './errors.js';
import { isLoopback, sendText } from './respond.js';

/**
 * Published on `switchyard:admin:error` when a handler fails unexpectedly (answered with 500), or
 * when a control request finds the token file unreadable (answered with 503).
 */
export interface AdminErrorEvent {
  readonly path: string;
  readonly error: unknown;
}

const errorChannel = channel('switchyard:admin:error');

function publishError(event: AdminErrorEvent): void {
  if (errorChannel.hasSubscribers) errorChannel.publish(event);
}

/** RFC 6750 §3 challenge. */
const CHALLENGE = 'Bearer realm="switchyard-admin"';

/**
 * True when `name` (a Host header's host part) may reach a listener bound to `ip`: anything when
 * bound to a routable address (reachable by address anyway), else loopback names, the bind
 * address and `allowedHosts`.
 */
export function hostAllowed(ip: string, name: string, allowedHosts: readonly string[]): boolean {
  if (!isLoopback(ip)) return true;
  if (isLoopback(name) || name === ip) return true;
  return allowedHosts.some((h) => h.toLowerCase() === name);
}

/** The bearer check of control routes; answers 401/503 itself and returns false when refused. */
export async function authorised(
  token: BearerToken,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const verdict = await token.check(req.headers.authorization);
  switch (verdict.kind) {
    case 'ok':
      return true;
    case 'missing':
      sendText(res, 401, `${path} requires Authorization: Bearer <token>`, {
        'www-authenticate': CHALLENGE,
      });
      return false;
    case 'invalid':
      sendText(res, 401, 'invalid bearer token', {
        'www-authenticate': `${CHALLENGE}, error="invalid_token"`,
      });
      return false;
    case 'unavailable':
      // Fail closed, and tell the operator why through the error channel (the body stays vague).
      publishError({ path, error: verdict.error });
      sendText(res, 503, 'admin token unavailable');
      return false;
    default:
      return assertNever(verdict);
  }
}

/**
 * Answers a request whose handler threw: bad input 400, unknown router 404, anything else 500
 * (published on `switchyard:admin:error`). A response already under way is cut.
 */
export function answerFailure(res: ServerResponse, rawUrl: string, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof AdminError && err.code === 'SY_ERR_ADMIN_BAD_REQUEST') sendText(res, 400, err.message);
  else if (err instanceof AdminError && err.code === 'SY_ERR_ADMIN_UNKNOWN_ROUTER')
    sendText(res, 404, err.message);
  else {
    publishError({ path: rawUrl, error: err });
    sendText(res, 500, err instanceof Error ? err.message : String(err));
  }
}
