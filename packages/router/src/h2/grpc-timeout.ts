/**
 * The `grpc-timeout` request header (gRPC over HTTP/2 spec): `TimeoutValue TimeoutUnit`, at most
 * eight ASCII digits and one of `H M S m u n`. It becomes the request's deadline; a malformed value
 * is ignored (the request keeps the router's own timeouts) and counted, never an error, because a
 * peer's bad header must not turn into a failure of the call.
 */
import type { Stats } from '@switchyard/core';

/** Milliseconds per unit. */
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
});

const FORMAT = /^([0-9]{1,8})([HMSmun])$/;

/** What a `grpc-timeout` header said. */
export type GrpcTimeout =
  | { readonly kind: 'absent' }
  /** `ms` is exact for H/M/S/m and fractional for u/n; `0` means the deadline has already passed. */
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'malformed'; readonly value: string };

/** Parses one `grpc-timeout` value (a repeated header is malformed: the spec allows one). */
export function parseGrpcTimeout(value: string | readonly string[] | undefined): GrpcTimeout {
  if (value === undefined) return { kind: 'absent' };
  if (typeof value !== 'string') return { kind: 'malformed', value: value.join(', ') };
  const m = FORMAT.exec(value);
  if (m === null) return { kind: 'malformed', value };
  return { kind: 'timeout', ms: Number(m[1]) * UNIT_MS[m[2]!]! };
}

/** Options of {@link requestDeadlineMs}. */
export interface GrpcDeadlineOptions {
  /** Upper bound on a client's deadline, ms (a client asking for 99999999H gets this). Default: none. */
  readonly maxMs?: number;
  /** Counts `grpc/timeout_malformed` for each ignored value. */
  readonly stats?: Stats;
}

/**
 * The deadline a gRPC request asks for, ms from now, capped at `maxMs`; `undefined` when it asks
 * for none or the value is malformed (then counted). Sub-millisecond deadlines round up to 1 ms so
 * a timer can express them; `0` is kept (already expired).
 */
export function requestDeadlineMs(
  value: string | readonly string[] | undefined,
  options: GrpcDeadlineOptions = {},
): number | undefined {
  const parsed = parseGrpcTimeout(value);
  switch (parsed.kind) {
    case 'absent':
      return undefined;
    case 'malformed':
      options.stats?.counter('grpc', 'timeout_malformed').incr();
      return undefined;
    case 'timeout': {
      const ms = parsed.ms === 0 ? 0 : Math.max(1, Math.ceil(parsed.ms));
      return options.maxMs === undefined ? ms : Math.min(ms, options.maxMs);
    }
  }
}

/** Formats a deadline (ms) as a `grpc-timeout` value, for forwarding what is left of it upstream. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole <= 99_999_999) return `${whole}m`;
  const seconds = Math.ceil(whole / 1000);
  if (seconds <= 99_999_999) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}
