/**
 * `/admin/ready` and `/admin/requests.json` for the pod under `--workers N`. Each worker knows
 * only its own readiness sources and its own sampled requests; the primary asks every worker
 * (the `health` IPC request) and answers for the pod:
 * - ready when every worker of the pod is ready and each of its sources is (a worker that is
 *   starting, draining or did not answer in time makes the pod not ready, named in the body);
 * - recent requests: every worker's, newest first, bounded by what one `io.l5d.recentRequests`
 *   keeps (its `capacity`), as the single process's buffer is.
 */
import type { RecentRequest } from '@switchyard/telemetry';
import type { WorkerHealth } from './messages.js';

/** One worker's slot and state, with its answer when it gave one in time. */
export interface WorkerHealthRow {
  readonly slot: number;
  readonly state: 'starting' | 'ready' | 'draining';
  readonly health: WorkerHealth | undefined;
}

/** The pod's readiness: 200 and `ready`, or 503 and what is not ready, worker by worker. */
export function podReadiness(rows: readonly WorkerHealthRow[]): {
  readonly ready: boolean;
  readonly text: string;
} {
  const problems = rows.flatMap((row) => {
    if (row.state !== 'ready') return [`worker ${row.slot} (${row.state})`];
    if (row.health === undefined) return [`worker ${row.slot} (unresponsive)`];
    const waiting = row.health.readiness.filter((r) => !r.ready).map((r) => r.name);
    return waiting.length === 0 ? [] : [`worker ${row.slot} (${waiting.join(', ')})`];
  });
  if (rows.length === 0) problems.push('no workers');
  return problems.length === 0
    ? { ready: true, text: 'ready\n' }
    : { ready: false, text: `not ready: ${problems.join('; ')}\n` };
}

/** Every worker's recent requests, newest first, at most one buffer's capacity. */
export function podRequests(rows: readonly WorkerHealthRow[]): RecentRequest[] {
  const answered = rows.flatMap((row) => (row.health === undefined ? [] : [row.health]));
  const kept = Math.max(0, ...answered.map((h) => h.requestsKept));
  return answered
    .flatMap((h) => h.requests)
    .sort((a, b) => b.timestamp - a.timestamp)
    .slice(0, kept);
}
