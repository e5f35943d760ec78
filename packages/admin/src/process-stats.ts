/**
 * Process health for the dashboard and the metrics endpoints: memory, uptime and event-loop lag.
 * A proxy whose event loop stalls delays every request, so lag is the first number to look at.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLoopLag, ProcessInfo } from './dashboard/document.js';

/**
 * Samples the event loop (resolution 20 ms) while started. Lag figures cover a window of about
 * `windowMs` (10 s): the histogram restarts once a read finds the window over, so several
 * readers (dashboard, Prometheus) see the same numbers.
 */
export class ProcessMonitor {
  #histogram: IntervalHistogram | undefined;
  #last: EventLoopLag = { mean: 0, p50: 0, p99: 0, max: 0 };
  #windowStart = 0;
  readonly #now: () => number;
  readonly #windowMs: number;

  /** `now` is wall-clock ms (the admin's clock). */
  constructor(now: () => number, windowMs = 10_000) {
    this.#now = now;
    this.#windowMs = windowMs;
  }

  start(): void {
    if (this.#histogram !== undefined) return;
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
    this.#windowStart = this.#now();
  }

  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  /** Lag over the current window (the previous figures while no sample has arrived). */
  lag(): EventLoopLag {
    const h = this.#histogram;
    if (h !== undefined && h.count > 0) {
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      this.#last = { mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
      const now = this.#now();
      if (now - this.#windowStart >= this.#windowMs) {
        h.reset();
        this.#windowStart = now;
      }
    }
    return this.#last;
  }

  read(): ProcessInfo {
    const m = process.memoryUsage();
    return {
      pid: process.pid,
      node: process.version,
      uptimeMs: Math.round(process.uptime() * 1000),
      rssBytes: m.rss,
      heapUsedBytes: m.heapUsed,
      heapTotalBytes: m.heapTotal,
      externalBytes: m.external,
      eventLoopLag: this.lag(),
    };
  }
}
