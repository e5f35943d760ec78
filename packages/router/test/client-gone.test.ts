/**
 * A client whose request breaks before the router dispatches it (Node answers a malformed body
 * itself, 400, and closes the socket while the router is still identifying or binding) must not
 * leave an attempt hanging: a dispatch whose body never ends would hold its balancer lease for
 * ever, and the endpoint would look busy to p2c until nobody picks it (found by `pnpm faults`).
 */
import { rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import type { PathLayer } from '../src/index.js';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(500);

/** Holds each request for `ms` after binding, so the client's error lands first. */
function delayLayer(ms: number): PathLayer {
  return {
    kind: 'path',
    role: 'test-delay',
    description: 'waits before the retry layer reads the body',
    layer: (next) => async (bound) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return next(bound);
    },
  };
}

describe('a client gone before dispatch', () => {
  it('leaves no attempt pending and no lease held', async () => {
    const b = await backend();
    const { router: r, port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { path: [delayLayer(50)] },
    });
    const badChunk =
      'POST / HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n';
    const answers = await Promise.all(Array.from({ length: 12 }, () => rawExchange(port, badChunk)));
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 400 /);
    // Let the delayed requests reach dispatch and settle.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pending = r.clients().flatMap((c) => c.endpoints.map((e) => e.pending));
    expect(pending.reduce((a, n) => a + n, 0)).toBe(0);
    expect(b.bytesReceived()).toBe(0);
  });
});
