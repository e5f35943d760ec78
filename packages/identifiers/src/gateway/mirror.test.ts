/**
 * RequestMirror's sending side against a real HTTP server: copies never delay the caller, are
 * bounded in flight (the rest dropped and counted), and a failing copy is counted, never thrown.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsRegistry } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestMirror } from './mirror.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A server that holds every request until `release()`. */
async function holdingServer() {
  const held: http.ServerResponse[] = [];
  let arrived = 0;
  const server = http.createServer((_req, res) => {
    arrived++;
    held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    arrived: () => arrived,
    release: () => {
      for (const res of held.splice(0)) res.end('ok');
    },
  };
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function counter(stats: ReturnType<typeof createMetricsRegistry>, name: string): number {
  const sample = stats.snapshot().find((s) => s.name.join('/') === name);
  return sample?.kind === 'counter' ? sample.value : 0;
}

describe('createRequestMirror', () => {
  it('returns at once while copies hang, keeps at most maxInFlight, and frees slots as copies settle', async () => {
    const shadow = await holdingServer();
    const stats = createMetricsRegistry();
    const mirror = createRequestMirror<string>({
      maxInFlight: 2,
      send: (target, path) => get(shadow.port, `${Path.show(target)}${path}`),
      stats,
    });
    const targets = [Path.read('/svc/a'), Path.read('/svc/b'), Path.read('/svc/c')];
    const t0 = performance.now();
    expect(mirror.mirror(targets, '/x')).toBe(2);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(mirror.inFlight).toBe(2);
    expect(mirror.mirror([Path.read('/svc/d')], '/y')).toBe(0);
    await expect.poll(() => shadow.arrived()).toBe(2);
    expect([counter(stats, 'mirrored'), counter(stats, 'dropped')]).toEqual([2, 2]);
    shadow.release();
    await mirror.drain();
    expect(mirror.inFlight).toBe(0);
    expect(mirror.mirror([Path.read('/svc/e')], '/z')).toBe(1);
    await expect.poll(() => shadow.arrived()).toBe(3);
    shadow.release();
    await mirror.drain();
    expect(counter(stats, 'failed')).toBe(0);
  });

  it('a copy that throws, rejects or hits a closed port is counted as failed and never reaches the caller', async () => {
    const closed = await holdingServer();
    const port = closed.port;
    await closers.pop()?.();
    const stats = createMetricsRegistry();
    let calls = 0;
    const mirror = createRequestMirror<number>({
      send: (_t, n) => {
        calls++;
        if (n === 0) throw new Error('sync failure');
        if (n === 1) return Promise.reject(new Error('async failure'));
        return get(port, '/');
      },
      stats,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const n of [0, 1, 2]) expect(mirror.mirror([Path.read('/svc/a')], n)).toBe(1);
      // Nothing is sent on the caller's turn.
      expect(calls).toBe(0);
      await mirror.drain();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(calls).toBe(3);
    expect(counter(stats, 'failed')).toBe(3);
    expect(unhandled).toEqual([]);
  });

  it('rejects a maxInFlight that is not a positive integer, naming the option', () => {
    expect(() => createRequestMirror({ send: async () => {}, maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
