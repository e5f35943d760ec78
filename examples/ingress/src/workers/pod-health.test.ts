import type { RecentRequest } from '@switchyard/telemetry';
import { describe, expect, it } from 'vitest';
import type { WorkerHealth } from './messages.js';
import { podReadiness, podRequests, type WorkerHealthRow } from './pod-health.js';

const request = (uri: string, timestamp: number): RecentRequest => ({
  timestamp,
  router: 'http',
  method: 'GET',
  uri,
  status: 200,
  durationMs: 1,
});

function health(
  readiness: Record<string, boolean>,
  requests: readonly RecentRequest[] = [],
  requestsKept = 10,
): WorkerHealth {
  return {
    kind: 'health',
    id: 1,
    readiness: Object.entries(readiness).map(([name, ready]) => ({ name, ready })),
    requests,
    requestsKept,
  };
}

const ready = (slot: number, h: WorkerHealth | undefined): WorkerHealthRow => ({
  slot,
  state: 'ready',
  health: h,
});

describe('podReadiness', () => {
  it('is ready only when every worker and every source of each is ready', () => {
    expect(podReadiness([ready(1, health({ 'io.l5d.ingress': true })), ready(2, health({}))])).toEqual({
      ready: true,
      text: 'ready\n',
    });
    expect(
      podReadiness([
        ready(1, health({ 'io.l5d.ingress': true, 'router http': true })),
        ready(2, health({ 'io.l5d.ingress': false, 'router http': true, 'tls web': false })),
      ]),
    ).toEqual({ ready: false, text: 'not ready: worker 2 (io.l5d.ingress, tls web)\n' });
  });

  it('names a worker that is starting, draining or did not answer, and an empty pod', () => {
    const text = podReadiness([
      { slot: 1, state: 'starting', health: undefined },
      ready(2, undefined),
      { slot: 3, state: 'draining', health: undefined },
      ready(4, health({ a: true })),
    ]).text;
    expect(text).toBe('not ready: worker 1 (starting); worker 2 (unresponsive); worker 3 (draining)\n');
    expect(podReadiness([])).toEqual({ ready: false, text: 'not ready: no workers\n' });
  });
});

describe('podRequests', () => {
  it("merges every worker's requests newest first, bounded by one buffer's capacity", () => {
    const a = [request('/a3', 30), request('/a2', 20), request('/a1', 10)];
    const b = [request('/b4', 40), request('/b2', 25), request('/b1', 5)];
    const rows = [ready(1, health({}, a, 4)), ready(2, health({}, b, 4)), ready(3, undefined)];
    expect(podRequests(rows).map((r) => r.uri)).toEqual(['/b4', '/a3', '/b2', '/a2']);
  });

  it('is empty without io.l5d.recentRequests (nothing kept)', () => {
    expect(podRequests([ready(1, health({}, [], 0)), ready(2, health({}, [], 0))])).toEqual([]);
  });
});
