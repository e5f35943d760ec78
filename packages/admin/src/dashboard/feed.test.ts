import { createMetricsRegistry, type MetricSample, type MetricsRegistry } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { AdminRouterView } from '../views.js';
import type { DashboardFeed } from './document.js';
import { buildDashboardFeed, podDashboardFeed, serverLoad } from './feed.js';

const PROCESS = {
  pid: 1,
  node: 'v22',
  uptimeMs: 1,
  rssBytes: 1,
  heapUsedBytes: 1,
  heapTotalBytes: 1,
  externalBytes: 0,
  eventLoopLag: { mean: 0, p50: 0, p99: 0, max: 0 },
};

/** A router view whose server reports its own connection count (as the router's does). */
const view = (connections: number): AdminRouterView => ({
  label: 'web',
  servers: () => [{ ip: '127.0.0.1', port: 8080, connections }],
  dtab: () => [],
  delegate: async () => {
    throw new Error('not used');
  },
  clients: () => [{ id: '/$/inet/127.0.0.1/9000', balancer: 'p2c', size: 1, available: 1, endpoints: [] }],
});

/** One worker's registry after `ok` successes and `failed` failures, `open` connections, `inFlight` pending. */
function worker(ok: number, failed: number, open: number, inFlight: number): MetricsRegistry {
  const stats = createMetricsRegistry();
  const server = stats.scope('rt', 'web', 'server', '127.0.0.1', '8080');
  const client = stats.scope('rt', 'web', 'client', '$/inet/127.0.0.1/9000');
  for (const s of [server, client]) {
    s.counter('requests').incr(ok + failed);
    s.counter('success').incr(ok);
    s.counter('failures').incr(failed);
  }
  for (let i = 0; i < ok + failed; i++) server.histogram('request_latency_ms').add(10 + i);
  server.gauge(['connections'], () => open);
  server.gauge(['pending'], () => inFlight);
  return stats;
}

const feedOf = (samples: readonly MetricSample[], connections: number): DashboardFeed =>
  buildDashboardFeed({
    time: 1000,
    samples,
    routers: [view(connections)],
    readiness: [],
    certificates: [],
    acme: [],
    control: [],
    process: PROCESS,
    showDtab: () => '/svc => /$/inet',
  });

/** The pod's samples as the primary merges them: counters and these gauges summed. */
function merged(a: readonly MetricSample[], b: readonly MetricSample[]): MetricSample[] {
  const byName = new Map<string, MetricSample>();
  for (const s of [...a, ...b]) {
    const key = s.name.join('/');
    const seen = byName.get(key);
    if (seen === undefined || s.kind === 'histogram' || seen.kind === 'histogram') byName.set(key, s);
    else byName.set(key, { ...seen, value: seen.value + s.value });
  }
  return [...byName.values()];
}

describe('podDashboardFeed', () => {
  it("replaces one worker's counters and connections with the pod's, keeping its views", () => {
    const one = worker(3, 1, 2, 1).snapshot();
    const two = worker(5, 0, 4, 2).snapshot();
    const answering = feedOf(one, 2);
    const pod = podDashboardFeed(answering, merged(one, two), [
      { slot: 1, state: 'ready', restarts: 0, ...serverLoad(one) },
      { slot: 2, state: 'ready', restarts: 1, ...serverLoad(two) },
    ]);
    const router = pod.routers[0]!;
    expect(router).toMatchObject({
      label: 'web',
      dtab: '/svc => /$/inet',
      requests: 9,
      success: 8,
      failures: 1,
    });
    expect(router.servers).toEqual([
      expect.objectContaining({
        name: '127.0.0.1/8080',
        requests: 9,
        success: 8,
        failures: 1,
        connections: 6,
      }),
    ]);
    expect(router.clients[0]).toMatchObject({ id: '/$/inet/127.0.0.1/9000', balancer: 'p2c', requests: 9 });
    expect(pod.workers?.map((w) => [w.slot, w.requests, w.connections, w.inFlight, w.restarts])).toEqual([
      [1, 4, 2, 1, 0],
      [2, 5, 4, 2, 1],
    ]);
    // The answering worker's document itself is left as it was.
    expect(answering.routers[0]!.requests).toBe(4);
    expect(answering.routers[0]!.servers[0]!.connections).toBe(2);
    expect(answering.workers).toBeUndefined();
  });

  it('drops a latency the pod snapshot does not have, rather than keeping the worker’s', () => {
    const one = worker(2, 0, 0, 0).snapshot();
    const pod = podDashboardFeed(
      feedOf(one, 0),
      one.filter((s) => s.kind !== 'histogram'),
      [],
    );
    expect(pod.routers[0]!.latency).toBeUndefined();
    expect(pod.routers[0]!.servers[0]!.latency).toBeUndefined();
  });
});

describe('serverLoad', () => {
  it('sums every router server, in both server name forms, and ignores other scopes', () => {
    const stats = worker(3, 1, 2, 1);
    const finagle = stats.scope('rt', 'other', 'server', '0.0.0.0/4000');
    finagle.counter('requests').incr(10);
    finagle.counter('success').incr(10);
    finagle.gauge(['connections'], () => 5);
    stats.counter('rt', 'web', 'service', 'svc/web', 'requests').incr(100);
    expect(serverLoad(stats.snapshot())).toEqual({
      requests: 14,
      success: 13,
      failures: 1,
      connections: 7,
      inFlight: 1,
    });
  });
});
