/**
 * Rates from counter deltas: the server keeps no per-viewer state, so the page remembers each
 * row's counters from the previous poll and each router's last sixty points for the charts.
 */
import type { RequestTotals } from '../document.js';

/** Poll interval: 2 s, or `?refresh=<ms>` (250 ms – 60 s). */
export const POLL_MS = Math.min(
  60_000,
  Math.max(250, Number(new URLSearchParams(location.search).get('refresh')) || 2000),
);
/** Sixty polls of history (two minutes at the default interval). */
export const SLOTS = 60;
/** The charts' time-axis label. */
export const SPAN_LABEL = `-${Math.round((SLOTS * POLL_MS) / 1000)} s`;

interface Point {
  readonly time: number;
  readonly requests: number;
  readonly success: number;
  readonly failures: number;
}

/** A router's chart series, oldest first, at most {@link SLOTS} each. */
export interface RouterHistory {
  rps: (number | undefined)[];
  success: (number | undefined)[];
  p50: (number | undefined)[];
  p95: (number | undefined)[];
  p99: (number | undefined)[];
}

const histories = new Map<string, RouterHistory>();

/** Previous counters per row key (`router`, `router server x`, …), for rates. */
let previous = new Map<string, Point>();
let current = new Map<string, Point>();

/** Starts a poll's rendering: rows seen from now on are this poll's. */
export function beginPoll(): void {
  current = new Map();
}

/** Ends a poll's rendering: this poll's rows become the base of the next rates. */
export function endPoll(): void {
  previous = current;
}

/** Appends `v`, keeping the last {@link SLOTS} values. */
export function push<T>(arr: T[], v: T): void {
  arr.push(v);
  if (arr.length > SLOTS) arr.shift();
}

/** Rate and success rate of a row since the previous poll. */
export function delta(key: string, time: number, t: RequestTotals): { rps?: number; sr?: number } {
  const now: Point = { time, requests: t.requests, success: t.success, failures: t.failures };
  current.set(key, now);
  const prev = previous.get(key);
  const lifetime = t.success + t.failures > 0 ? t.success / (t.success + t.failures) : undefined;
  if (prev === undefined || now.time <= prev.time || now.requests < prev.requests) return { sr: lifetime };
  const dt = (now.time - prev.time) / 1000;
  const ds = now.success - prev.success;
  const df = now.failures - prev.failures;
  return { rps: (now.requests - prev.requests) / dt, sr: ds + df > 0 ? ds / (ds + df) : lifetime };
}

/** The chart history of a router, created empty on first use. */
export function history(label: string): RouterHistory {
  let hist = histories.get(label);
  if (hist === undefined) {
    hist = { rps: [], success: [], p50: [], p95: [], p99: [] };
    histories.set(label, hist);
  }
  return hist;
}
