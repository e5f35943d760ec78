/**
 * The rate limits through a real router and real sockets: bursts over the limit get 429 with
 * Retry-After, the backend sees only the admitted requests, and a limited request is never
 * counted against a backend (no client request, no failure).
 */
import type { MetricsRegistry, Stats } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { RouterStackLayers } from '@switchyard/router';
import { type Backend, fakeClock, startBackend } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { clientRateLimitLayer, destinationRateLimitLayer, serverRateLimitLayer } from '../src/index.js';
import { get, metric, startRouter, statuses, sum } from './helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(
  layersOf: (stats: Stats) => RouterStackLayers,
  backend?: Backend,
): Promise<{ port: number; backend: Backend; stats: MetricsRegistry }> {
  const b = backend ?? (await startBackend());
  cleanup.push(() => b.close());
  const { router, port, stats } = await startRouter(
    `/svc/web => /$/inet/127.0.0.1/${b.port}; /svc/api => /$/inet/127.0.0.1/${b.port}`,
    layersOf,
  );
  cleanup.push(() => router.close());
  return { port, backend: b, stats };
}

const SERVER = 'rt/http/limits/server/127.0.0.1/0';

describe('server rate limit', () => {
  it('answers a burst beyond the bucket with 429 + Retry-After; the backend sees only the admitted', async () => {
    const clock = fakeClock();
    const { port, backend, stats } = await setup((s) => ({
      server: [serverRateLimitLayer({ rps: 0.5, burst: 5, stats: s, clock })],
    }));
    const replies = await Promise.all(Array.from({ length: 20 }, () => get(port, 'web')));
    expect(statuses(replies)).toEqual({ 200: 5, 429: 15 });
    expect(backend.seen.length).toBe(5);
    for (const r of replies.filter((x) => x.status === 429)) {
      expect(r.retryAfter).toBe('2'); // one token at 0.5 rps: 2 s
      expect(r.body).toBe('Too many requests: server rate limit\n');
      // Written by the router's error exit: l5d-err like every router-written error.
      expect(r.l5dErr).toBe(encodeURIComponent('Too many requests: server rate limit'));
    }
    expect(metric(stats, `${SERVER}/allowed`)).toBe(5);
    expect(metric(stats, `${SERVER}/limited`)).toBe(15);
    expect(metric(stats, `${SERVER}/tokens`)).toBe(0);
    // Limited requests never reached a client (bound name) nor counted as failures.
    expect(metric(stats, `rt/http/client/$/inet/127.0.0.1/${backend.port}/requests`)).toBe(5);
    expect(sum(stats, /^rt\/http\/(client|service)\/.*\/failures$/)).toBe(0);
    // One token back after 2 s (fake clock): one more request admitted, the next refused.
    clock.advance(2000);
    expect((await get(port, 'web')).status).toBe(200);
    expect((await get(port, 'web')).status).toBe(429);
    expect(backend.seen.length).toBe(6);
  });
});

describe('per-client rate limit', () => {
  it('limits each client address on its own', async () => {
    const clock = fakeClock();
    const { port, backend, stats } = await setup((s) => ({
      server: [clientRateLimitLayer({ rps: 1, burst: 2, maxClients: 100, stats: s, clock })],
    }));
    const a = await Promise.all(Array.from({ length: 5 }, () => get(port, 'web', '127.0.0.1')));
    const b = await Promise.all(Array.from({ length: 3 }, () => get(port, 'web', '127.0.0.2')));
    expect(statuses(a)).toEqual({ 200: 2, 429: 3 });
    expect(statuses(b)).toEqual({ 200: 2, 429: 1 });
    expect(a.find((r) => r.status === 429)?.retryAfter).toBe('1');
    expect(backend.seen.length).toBe(4);
    expect(metric(stats, 'rt/http/limits/client/allowed')).toBe(4);
    expect(metric(stats, 'rt/http/limits/client/limited')).toBe(4);
    expect(metric(stats, 'rt/http/limits/client/clients')).toBe(2);
  });
});

describe('destination rate limit', () => {
  it('limits names under a prefix, passes the others, and never binds a backend for a limited one', async () => {
    const clock = fakeClock();
    const { port, backend, stats } = await setup((s) => ({
      path: [
        destinationRateLimitLayer({
          destinations: [
            { prefix: Path.read('/svc'), rps: 100, burst: 100 },
            // Later entries win: /svc/web gets the tighter bucket.
            { prefix: Path.read('/svc/web'), rps: 0.25, burst: 3 },
          ],
          stats: s,
          clock,
        }),
      ],
    }));
    const web = await Promise.all(Array.from({ length: 10 }, () => get(port, 'web')));
    const api = await Promise.all(Array.from({ length: 10 }, () => get(port, 'api')));
    expect(statuses(web)).toEqual({ 200: 3, 429: 7 });
    expect(statuses(api)).toEqual({ 200: 10 });
    expect(web.find((r) => r.status === 429)).toMatchObject({
      retryAfter: '4',
      body: 'Too many requests: rate limit of /svc/web\n',
    });
    expect(backend.seen.length).toBe(13);
    expect(metric(stats, 'rt/http/limits/dst/svc/web/limited')).toBe(7);
    expect(metric(stats, 'rt/http/limits/dst/svc/web/allowed')).toBe(3);
    expect(metric(stats, 'rt/http/limits/dst/svc/allowed')).toBe(10);
    expect(metric(stats, `rt/http/client/$/inet/127.0.0.1/${backend.port}/requests`)).toBe(13);
    expect(sum(stats, /^rt\/http\/(client|service)\/.*\/failures$/)).toBe(0);
  });
});
