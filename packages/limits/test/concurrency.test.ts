/**
 * The adaptive concurrency limit through a real router: beyond the limit a destination's requests
 * are shed (503) at once, before any attempt; slow answers shrink the limit.
 */
import type { ServerResponse } from 'node:http';
import { eventually, startBackend } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptiveConcurrencyLayer } from '../src/index.js';
import { get, hasMetric, metric, startRouter, statuses } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('adaptive concurrency limit', () => {
  it('sheds requests beyond the limit with 503; the backend sees only the admitted ones', async () => {
    const held: ServerResponse[] = [];
    const backend = await startBackend((req, res) => {
      req.resume();
      held.push(res);
    });
    cleanup.push(() => backend.close());
    const { router, port, stats } = await startRouter(
      `/svc/web => /$/inet/127.0.0.1/${backend.port}`,
      (s) => ({
        path: [
          adaptiveConcurrencyLayer({ initialLimit: 3, minLimit: 1, latencyThresholdMs: 60_000, stats: s }),
        ],
      }),
    );
    cleanup.push(() => router.close());

    const first = Array.from({ length: 3 }, () => get(port, 'web'));
    await eventually(() => backend.seen.length === 3, { what: () => `backend saw ${backend.seen.length}` });
    const shed = await Promise.all(Array.from({ length: 4 }, () => get(port, 'web')));
    expect(statuses(shed)).toEqual({ 503: 4 });
    expect(shed[0]).toMatchObject({
      retryAfter: '1',
      body: 'Service overloaded: concurrency limit of /svc/web reached\n',
      l5dErr: encodeURIComponent('Service overloaded: concurrency limit of /svc/web reached'),
    });
    expect(backend.seen.length).toBe(3);
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/inflight')).toBe(3);
    for (const res of held.splice(0)) res.end('ok');
    expect(statuses(await Promise.all(first))).toEqual({ 200: 3 });
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/shed')).toBe(4);
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/admitted')).toBe(3);
    expect(metric(stats, `rt/http/client/$/inet/127.0.0.1/${backend.port}/requests`)).toBe(3);
  });

  it('halves the limit after slow answers', async () => {
    const backend = await startBackend((req, res) => {
      req.resume();
      setTimeout(() => res.end('slow'), 80);
    });
    cleanup.push(() => backend.close());
    const { router, port, stats } = await startRouter(
      `/svc/web => /$/inet/127.0.0.1/${backend.port}`,
      (s) => ({
        path: [
          adaptiveConcurrencyLayer({ initialLimit: 8, latencyThresholdMs: 20, backoffRatio: 0.5, stats: s }),
        ],
      }),
    );
    cleanup.push(() => router.close());
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/limit')).toBe(0); // not seen yet
    await get(port, 'web');
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/limit')).toBe(4);
    await get(port, 'web');
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/limit')).toBe(2);
  });

  it('unregisters the destination gauges when the router evicts its service; counters stay', {
    timeout: 20_000,
  }, async () => {
    const backend = await startBackend();
    cleanup.push(() => backend.close());
    const { router, port, stats } = await startRouter(
      `/svc/web => /$/inet/127.0.0.1/${backend.port}`,
      (s) => ({ path: [adaptiveConcurrencyLayer({ initialLimit: 4, stats: s })] }),
      { idleTtlSecs: 1 },
    );
    cleanup.push(() => router.close());
    const gauges = ['limit', 'inflight'].map((g) => `rt/http/limits/concurrency/svc/web/${g}`);
    const present = () => gauges.filter((g) => hasMetric(stats, g));
    expect((await get(port, 'web')).status).toBe(200);
    expect(present()).toEqual(gauges);
    // Idle for idleTtlSecs: the router's sweep evicts /svc/web's service and tells the layer.
    await eventually(() => present().length === 0, {
      timeoutMs: 10_000,
      what: () => `gauges still registered: ${present().join(', ')}`,
    });
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/admitted')).toBe(1);
    // The name comes back: a new limit, its gauges registered again.
    expect((await get(port, 'web')).status).toBe(200);
    expect(present()).toEqual(gauges);
    expect(metric(stats, 'rt/http/limits/concurrency/svc/web/limit')).toBe(4);
  });
});
