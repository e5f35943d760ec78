import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createChallengeStore } from './challenges.js';

describe('HTTP-01 responder', () => {
  it('answers pending tokens on GET and HEAD and leaves everything else to routing', async () => {
    const store = createChallengeStore();
    store.setHttp('tok-1', 'tok-1.thumbprint');
    const server = createServer((req, res) => {
      if (store.handleHttpChallenge(req, res)) return;
      res.writeHead(404).end('routed');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const ok = await fetch(`${base}/.well-known/acme-challenge/tok-1`);
      expect([ok.status, await ok.text()]).toEqual([200, 'tok-1.thumbprint']);
      const head = await fetch(`${base}/.well-known/acme-challenge/tok-1`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length')]).toEqual([200, '16']);
      for (const [method, path] of [
        ['GET', '/.well-known/acme-challenge/other'],
        ['POST', '/.well-known/acme-challenge/tok-1'],
        ['GET', '/tok-1'],
      ] as const) {
        const res = await fetch(`${base}${path}`, { method });
        expect([method, path, res.status, await res.text()]).toEqual([method, path, 404, 'routed']);
      }
      store.deleteHttp('tok-1');
      expect((await fetch(`${base}/.well-known/acme-challenge/tok-1`)).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
