/**
 * An adaptive concurrency limit by AIMD (additive increase, multiplicative decrease — Chiu & Jain,
 * "Analysis of the Increase and Decrease Algorithms for Congestion Avoidance", 1989; TCP Reno's
 * window). A request is admitted while fewer than `limit` are in flight. A completion that was
 * slow (over `latencyThresholdMs`) or failed multiplies the limit by `backoffRatio`, at most once
 * per "window" (only requests started after the last decrease may decrease it again, so one burst
 * of slow answers counts once); a good completion while the limit was at least half used adds
 * `1/limit` (about +1 per limit's worth of completions).
 *
 * Why AIMD and not a latency gradient (Netflix Gradient2, Envoy's gradient controller): a gradient
 * needs a stable minimum-RTT estimate, re-measured by periodically squeezing concurrency to a
 * floor; on shared, noisy CPUs and for destinations whose latency depends on the request it
 * misreads load. AIMD needs one number the operator already knows (the latency that means
 * "overloaded", like a timeout), and how it converges and oscillates is well understood.
 */
import { requireOption } from './errors.js';

/** Options of an AIMD limit. */
export interface AimdOptions {
  /** Limit at start; default 20. */
  readonly initialLimit?: number;
  /** Floor; default 1. */
  readonly minLimit?: number;
  /** Ceiling; default 1000. */
  readonly maxLimit?: number;
  /** A completion slower than this counts as overload (ms); default 1000. */
  readonly latencyThresholdMs?: number;
  /** Factor applied on overload, in (0, 1); default 0.9. */
  readonly backoffRatio?: number;
}

/** What a completion reports. */
export interface AimdSample {
  /** Time from admission to completion, ms. */
  readonly latencyMs: number;
  /** The request failed in a way that signals overload (rejected, 503, 504). */
  readonly dropped: boolean;
}

/** A running limit. */
export interface AimdLimit {
  /**
   * Admits a request if fewer than `limit` are in flight: returns its completion callback, or
   * `undefined` when the request must be shed.
   */
  acquire(): ((sample: AimdSample) => void) | undefined;
  /** The current limit (fractional; `floor` of it is enforced). */
  limit(): number;
  /** Requests in flight. */
  inflight(): number;
}

/** Checks and fills in defaults; throws `SY_ERR_LIMITS_INVALID_OPTIONS` naming the option. */
export function aimdOptions(options: AimdOptions, where = 'adaptiveConcurrency'): Required<AimdOptions> {
  const o = {
    initialLimit: options.initialLimit ?? 20,
    minLimit: options.minLimit ?? 1,
    maxLimit: options.maxLimit ?? 1000,
    latencyThresholdMs: options.latencyThresholdMs ?? 1000,
    backoffRatio: options.backoffRatio ?? 0.9,
  };
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  requireOption(int(o.minLimit), `${where}.minLimit must be an integer >= 1`, o.minLimit);
  requireOption(
    int(o.maxLimit) && o.maxLimit >= o.minLimit,
    `${where}.maxLimit must be an integer >= minLimit (${o.minLimit})`,
    o.maxLimit,
  );
  requireOption(
    int(o.initialLimit) && o.initialLimit >= o.minLimit && o.initialLimit <= o.maxLimit,
    `${where}.initialLimit must be an integer within [minLimit, maxLimit] = [${o.minLimit}, ${o.maxLimit}]`,
    o.initialLimit,
  );
  requireOption(
    Number.isFinite(o.latencyThresholdMs) && o.latencyThresholdMs > 0,
    `${where}.latencyThresholdMs must be a number > 0`,
    o.latencyThresholdMs,
  );
  requireOption(
    o.backoffRatio > 0 && o.backoffRatio < 1,
    `${where}.backoffRatio must be within (0, 1)`,
    o.backoffRatio,
  );
  return o;
}

/** A new AIMD limit. Throws `SY_ERR_LIMITS_INVALID_OPTIONS`. */
export function aimdLimit(options: AimdOptions = {}, where?: string): AimdLimit {
  const o = aimdOptions(options, where);
  let limit = o.initialLimit;
  let inflight = 0;
  // Admissions are numbered; a decrease records the number reached, and only requests admitted
  // after it may decrease again (one decrease per window, as TCP once per RTT).
  let admitted = 0;
  let decreasedAt = 0;
  return {
    acquire() {
      if (inflight >= Math.floor(limit)) return undefined;
      inflight++;
      const seq = ++admitted;
      const usedAtStart = inflight;
      let done = false;
      return (sample) => {
        if (done) return;
        done = true;
        inflight--;
        if (sample.dropped || sample.latencyMs > o.latencyThresholdMs) {
          if (seq > decreasedAt) {
            limit = Math.max(o.minLimit, limit * o.backoffRatio);
            decreasedAt = admitted;
          }
        } else if (usedAtStart * 2 >= limit) {
          limit = Math.min(o.maxLimit, limit + 1 / limit);
        }
      };
    },
    limit: () => limit,
    inflight: () => inflight,
  };
}
