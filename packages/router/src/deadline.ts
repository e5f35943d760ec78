/** Monotonic deadlines (ns) of the path and client stacks, where 0 means none. */
import { isGrpcRequest } from './h2/grpc-status.js';
import { requestDeadlineMs } from './h2/grpc-timeout.js';

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
