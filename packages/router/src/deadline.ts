/** Monotonic deadlines (ns) of the path and client stacks, where 0 means none. */
import { ctxDeadlineLeftMs, readCtxDeadline } from './ctx-deadline.js';
import { isGrpcRequest } from './h2/grpc-status.js';
import { requestDeadlineMs } from './h2/grpc-timeout.js';
import type { RouterRuntime } from './runtime.js';
import type { ClientDeadline } from './stages.js';

/** The earlier of two deadlines; 0 is none. */
export function earliestDeadline(a: bigint, b: bigint): bigint {
  if (a === 0n) return b;
  if (b === 0n) return a;
  return a < b ? a : b;
}

/** The route's request deadline of a request that arrived at `startNs`, or 0 when it sets none. */
export function routeDeadlineNs(startNs: bigint, requestTimeoutMs: number | undefined): bigint {
  return requestTimeoutMs === undefined ? 0n : startNs + BigInt(requestTimeoutMs) * 1_000_000n;
}

/**
 * The client's own deadline in ms from arrival: `grpc-timeout` on a gRPC request (malformed
 * values are ignored, as the spec allows); undefined for none.
 */
export function clientDeadlineMs(headers: Readonly<Record<string, unknown>>): number | undefined {
  const type = headers['content-type'];
  if (typeof type !== 'string' || !isGrpcRequest(type)) return undefined;
  const value = headers['grpc-timeout'];
  return typeof value === 'string' ? requestDeadlineMs(value) : undefined;
}

/**
 * The client's deadline, monotonic: the earlier of `grpc-timeout` (ms from arrival at `startNs`)
 * and `l5d-ctx-deadline` (wall clock, read against `rt.clock.now()`); undefined for none.
 * `clearContext` removed `l5d-ctx-deadline` before here, so only trusted clients set one.
 */
export function clientDeadlineOf(
  rt: Pick<RouterRuntime, 'clock'>,
  startNs: bigint,
  headers: Readonly<Record<string, unknown>>,
): ClientDeadline | undefined {
  let out: ClientDeadline | undefined;
  const grpcMs = clientDeadlineMs(headers);
  if (grpcMs !== undefined)
    out = { ns: routeDeadlineNs(startNs, grpcMs), header: 'grpc-timeout', ms: grpcMs };
  const ctx = readCtxDeadline(headers['l5d-ctx-deadline'] as string | readonly string[] | undefined);
  if (ctx !== undefined) {
    const left = ctxDeadlineLeftMs(ctx, rt.clock.now());
    const ns = rt.clock.nanoTime() + BigInt(Math.max(0, Math.floor(left * 1e6)));
    if (out === undefined || ns < out.ns)
      out = { ns, header: 'l5d-ctx-deadline', ms: Math.max(0, Math.round(left)) };
  }
  return out;
}
