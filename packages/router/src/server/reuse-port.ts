/**
 * `RouterServerOptions.reusePort`: `server.listen({ reusePort })` exists from Node 22.12 and
 * 23.1. An older Node ignores the unknown option and binds without `SO_REUSEPORT`, so a second
 * process on the same port would fail with EADDRINUSE far from its cause: refuse the option up
 * front instead, naming the field.
 */
import { InvalidRouterOptionsError } from '../errors.js';

/** Whether this Node's `listen()` takes `reusePort` (22.12+ on the 22 line, 23.1+ after). */
export function listenHasReusePort(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Checks `reusePort` at `where` (e.g. `servers[0].reusePort`); returns whether to set it. */
export function validateReusePort(value: unknown, where: string, version?: string): boolean {
  if (value === undefined || value === false) return false;
  if (value !== true) throw new InvalidRouterOptionsError(`${where} must be a boolean, got ${String(value)}`);
  if (!listenHasReusePort(version)) {
    throw new InvalidRouterOptionsError(
      `${where}: reusePort needs Node >= 22.12 (server.listen has no reusePort option before), this is ${version ?? process.versions.node}`,
    );
  }
  return true;
}
