import { createServer } from 'node:http';
import { fakeClock } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { createOnDemandPolicy } from './on-demand.js';

describe('on-demand policy', () => {
  it('admits only allowed names, within the per-name and global limits', () => {
    const clock = fakeClock(1_000_000);
    const policy = createOnDemandPolicy(
      {
        hosts: ['*.example.com', 'exact.test'],
        rateLimit: { orders: 2, perMs: 1000 },
        perNameIntervalMs: 5000,
      },
      clock,
    );
    expect(policy.admit('other.test')).toEqual({ kind: 'refuse', reason: 'notAllowed' });
    expect(policy.admit('a.example.com')).toEqual({ kind: 'admit' });
    expect(policy.admit('a.example.com')).toEqual({ kind: 'refuse', reason: 'rateLimited' });
    expect(policy.admit('exact.test')).toEqual({ kind: 'admit' });
    expect(policy.admit('b.example.com')).toEqual({ kind: 'refuse', reason: 'rateLimited' });
    clock.advance(1000);
    expect(policy.admit('b.example.com')).toEqual({ kind: 'admit' });
    expect(policy.admit('a.example.com')).toEqual({ kind: 'refuse', reason: 'rateLimited' });
    clock.advance(4000);
    expect(policy.admit('a.example.com')).toEqual({ kind: 'admit' });
  });

  it('asks the ask URL with ?domain= and allows only on 200; errors and timeouts refuse', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const domain = new URL(req.url ?? '/', 'http://x').searchParams.get('domain') ?? '';
      seen.push(domain);
      if (domain.startsWith('slow.')) return; // never answers
      res
        .writeHead(domain.startsWith('ok.') ? 200 : domain.startsWith('moved.') ? 302 : 404, {
          location: '/',
        })
        .end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const policy = createOnDemandPolicy(
        { ask: `http://127.0.0.1:${port}/allow?x=1`, askTimeoutMs: 300 },
        fakeClock(),
      );
      expect(await policy.ask('ok.example.com')).toBe(true);
      expect(await policy.ask('no.example.com')).toBe(false);
      expect(await policy.ask('moved.example.com')).toBe(false);
      expect(await policy.ask('slow.example.com')).toBe(false);
      expect(seen).toEqual(['ok.example.com', 'no.example.com', 'moved.example.com', 'slow.example.com']);
      const down = createOnDemandPolicy({ ask: 'http://127.0.0.1:1/' }, fakeClock());
      expect(await down.ask('ok.example.com')).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
