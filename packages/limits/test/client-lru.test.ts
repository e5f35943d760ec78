/**
 * The per-client table stays bounded under 100k distinct client addresses (the layer driven
 * directly with synthetic `remoteAddress` values), and a client still in the table stays limited.
 */
import { createMetricsRegistry } from '@switchyard/core';
import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { clientRateLimitLayer, type InboundLike } from '../src/index.js';

function inbound(remoteAddress: string): InboundLike {
  return {
    kind: 'inbound',
    // A limited request answers on `res`; headersSent makes that a no-op (counted, not written).
    exchange: { req: {}, res: { headersSent: true }, server: { ip: '127.0.0.1', port: 0 } } as never,
    head: { remoteAddress },
  };
}

describe('per-client table', () => {
  it('holds at most maxClients under 100k distinct addresses, evicting the least recent', async () => {
    const stats = createMetricsRegistry();
    const limit = clientRateLimitLayer({
      rps: 1,
      burst: 1,
      maxClients: 10_000,
      stats: stats.scope('rt', 'http'),
      clock: fakeClock(),
    });
    let passed = 0;
    const handler = limit.layer(async (_: InboundLike) => {
      passed++;
    });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      await handler(inbound(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
      if (i % 10_000 === 0) expect(limit.clients()).toBeLessThanOrEqual(10_000);
    }
    const grown = process.memoryUsage().heapUsed - before;
    console.info(`per-client table: 100k addresses, 10k kept, heap +${(grown / 2 ** 20).toFixed(1)} MiB`);
    expect(passed).toBe(100_000);
    expect(limit.clients()).toBe(10_000);
    const value = (name: string) =>
      stats.snapshot().find((m) => m.name.join('/') === `rt/http/limits/client/${name}`);
    expect(value('evicted')).toMatchObject({ value: 90_000 });
    expect(value('clients')).toMatchObject({ value: 10_000 });
    // The most recent client is still tracked and still limited; the first one was evicted.
    // A limited request is refused with the coded answer the router's error exit writes (429).
    await expect(handler(inbound(`10.1.134.159`))).rejects.toMatchObject({
      code: 'SY_ERR_RATE_LIMITED',
      status: 429,
    }); // i = 99_999
    expect(passed).toBe(100_000);
    await handler(inbound('10.0.0.0')); // i = 0: evicted long ago, a fresh bucket
    expect(passed).toBe(100_001);
    // Bounded memory: 10k small buckets, not 100k (generous: GC timing varies).
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});
