/**
 * `l5d-ctx-deadline`, Linkerd 1's deadline context header: `"<timestampNs> <deadlineNs>"`, both
 * wall-clock nanoseconds since the Unix epoch (Finagle's `Deadline`: when it was set and when it
 * runs out). Several values (repeated headers or comma-joined) combine to the strictest, as
 * Linkerd's server did. Linkerd treated it as advisory; Switchyard honours it as the request's
 * deadline and re-emits the remaining budget downstream in the same format.
 */

/** A parsed deadline: wall-clock ns since the epoch. */
export interface CtxDeadline {
  readonly timestampNs: bigint;
  readonly deadlineNs: bigint;
}

const VALUE = /^\s*(-?\d{1,20})\s+(-?\d{1,20})\s*$/;

/**
 * The strictest deadline among the header's values; undefined when absent or when no value
 * parses (malformed values are ignored, as Linkerd's reader skipped them).
 */
export function readCtxDeadline(value: string | readonly string[] | undefined): CtxDeadline | undefined {
  if (value === undefined) return undefined;
  const parts = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','));
  let best: CtxDeadline | undefined;
  for (const part of parts) {
    const m = VALUE.exec(part);
    if (m === null) continue;
    const d = { timestampNs: BigInt(m[1]!), deadlineNs: BigInt(m[2]!) };
    if (best === undefined || d.deadlineNs < best.deadlineNs) best = d;
  }
  return best;
}

/** The header value for a deadline `deadlineMs` (wall-clock ms since the epoch), set at `nowMs`. */
export function showCtxDeadline(nowMs: number, deadlineMs: number): string {
  return `${BigInt(Math.round(nowMs)) * 1_000_000n} ${BigInt(Math.round(deadlineMs)) * 1_000_000n}`;
}

/** Milliseconds left before `deadline` at wall-clock `nowMs` (may be ≤ 0: expired). */
export function ctxDeadlineLeftMs(deadline: CtxDeadline, nowMs: number): number {
  return Number(deadline.deadlineNs / 1_000_000n) - nowMs;
}
