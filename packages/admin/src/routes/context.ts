/**
 * What the route modules share: the options, the clock, the process monitor and the start time.
 * One value built by the server and handed to each module, instead of each reaching into it.
 */
import type { Clock, MetricSample } from '@switchyard/core';
import type { ProcessMonitor } from '../process-stats.js';
import type { AdminServerOptions } from '../server-options.js';

/** The admin's shared state, read by every route module. */
export interface AdminContext {
  readonly options: AdminServerOptions;
  readonly clock: Clock;
  readonly monitor: ProcessMonitor;
  /** Wall-clock ms when the server was created. */
  readonly startedAt: number;
  /** The control routes registered (none while control is disabled), for the dashboard. */
  controlPaths(): readonly string[];
}

/** The registry's samples (without the process gauges). */
export function samples(ctx: AdminContext): readonly MetricSample[] {
  return ctx.options.stats?.snapshot() ?? [];
}

/** The registry plus `process/*` gauges (Linkerd's `jvm/*` counterpart). */
export function samplesWithProcess(ctx: AdminContext): readonly MetricSample[] {
  const p = ctx.monitor.read();
  const gauge = (name: string, value: number): MetricSample => ({
    kind: 'gauge',
    name: ['process', name],
    value,
  });
  return [
    ...samples(ctx),
    gauge('uptime_ms', p.uptimeMs),
    gauge('rss_bytes', p.rssBytes),
    gauge('heap_used_bytes', p.heapUsedBytes),
    gauge('heap_total_bytes', p.heapTotalBytes),
    gauge('event_loop_lag_p99_ms', p.eventLoopLag.p99),
    gauge('event_loop_lag_max_ms', p.eventLoopLag.max),
  ];
}
