/**
 * `io.l5d.recentRequests`: keeps a sample of the latest requests in a fixed ring buffer for the
 * dashboard's table. Recording is O(1) and skips most requests by `sampleRate`, so it can stay
 * on in production.
 */
import type { Random } from '@switchyard/core';

/** One sampled request for the recent-requests table (`io.l5d.recentRequests`). */
export interface RecentRequest {
  /** Wall-clock ms when the request arrived. */
  readonly timestamp: number;
  readonly router: string;
  readonly method: string;
  readonly uri: string;
  readonly host?: string;
  /** Logical name, e.g. `/svc/default/80/world`. */
  readonly service?: string;
  /** Bound client id. */
  readonly client?: string;
  /** `host:port` of the endpoint that answered. */
  readonly endpoint?: string;
  readonly status: number;
  readonly durationMs: number;
  /** The trace id of the request's span, when the request was sampled for tracing. */
  readonly traceId?: string;
  /** The request's id (`l5d-reqid`), when the router assigned one. */
  readonly requestId?: string;
}

/** The `io.l5d.recentRequests` telemeter config. */
export interface RecentRequestsConfig {
  readonly kind?: 'io.l5d.recentRequests';
  /** Fraction of requests kept, in [0, 1] (required in Linkerd). */
  readonly sampleRate: number;
  /** Requests kept. Default 10, as in Linkerd. */
  readonly capacity?: number;
}

/** A sampled ring buffer of recent requests. */
export interface RecentRequests {
  /** Decides sampling; call before building the entry so skipped requests cost nothing. */
  shouldSample(): boolean;
  /** Stores an entry (already sampled), evicting the oldest when full. */
  record(entry: RecentRequest): void;
  /** Kept entries, newest first. */
  list(): readonly RecentRequest[];
}

/** Creates a {@link RecentRequests} buffer. `random` decides sampling (seed it in tests). */
export function createRecentRequests(
  config: RecentRequestsConfig,
  random: Random = Math.random,
): RecentRequests {
  const rate = Math.min(1, Math.max(0, config.sampleRate));
  const capacity = Math.max(1, Math.floor(config.capacity ?? 10));
  const ring: (RecentRequest | undefined)[] = new Array(capacity).fill(undefined);
  let next = 0;
  let size = 0;
  return {
    shouldSample: () => rate > 0 && (rate >= 1 || random() < rate),
    record(entry) {
      ring[next] = entry;
      next = (next + 1) % capacity;
      size = Math.min(capacity, size + 1);
    },
    list() {
      const out: RecentRequest[] = [];
      for (let i = 1; i <= size; i++) out.push(ring[(next - i + capacity) % capacity] as RecentRequest);
      return out;
    },
  };
}
