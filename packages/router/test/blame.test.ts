/**
 * Failures the endpoint did not cause never reach failure accrual, requeues or the endpoint and
 * client failure counters: requests the router cannot forward, and clients that break their own
 * request. A burst of them must leave every endpoint alive, untouched and still in use.
 */
import http from 'node:http';
import net from 'node:net';
import { Addr, address, createMetricsRegistry, type NamerEntry } from '@switchyard/core';
import { type Backend, httpRequest, rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { type Router, type ServerLayer, withHead, withHeaders } from '../src/index.js';
import { fixtures, testNamer } from './helpers.js';

const { backend, router } = fixtures(500);

/** Sum of the counters whose name ends with `suffix` under the client scope. */
function clientCounters(stats: ReturnType<typeof createMetricsRegistry>, suffix: string): number {
  let total = 0;
  for (const m of stats.snapshot()) {
    const name = m.name.join('/');
    if (m.kind === 'counter' && name.startsWith('rt/http/client/') && name.endsWith(suffix)) total += m.value;
  }
  return total;
}

/** `/svc/web` bound to one client over the backends' three endpoints (one balancer, one failure accrual). */
function oneClient(backends: readonly Backend[]): { dtab: string; namers: NamerEntry[] } {
  const namer = testNamer();
  namer.addr('web').update(Addr.bound(backends.map((b) => address('127.0.0.1', b.port))));
  return { dtab: '/svc => /#/test', namers: [namer.entry] };
}

function endpointStates(r: Router): string[] {
  return r.clients().flatMap((c) => c.endpoints.map((e) => e.state));
}

/** Sends `n` plain requests and returns the set of backends that answered. */
async function spread(port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.status).toBe(200);
    seen.add(reply.body.split(' ')[0]!);
  }
  return seen;
}

/** A chunked upload whose client resets the connection after the first chunk reached the backend. */
function abortedUpload(port: number, arrived: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(
        'POST /upload HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
      );
      void arrived.then(() => s.resetAndDestroy());
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

describe('failures the endpoint did not cause', () => {
  it('a burst of unforwardable requests marks no endpoint dead and sends them no byte', async () => {
    const backends = [await backend(), await backend(), await backend()];
    const { dtab, namers } = oneClient(backends);
    const stats = createMetricsRegistry();
    // Copies a query parameter into a header: a newline in it makes the HTTP client refuse the request.
    const userHeader: ServerLayer = {
      kind: 'server',
      role: 'user-header',
      description: 'x-user from ?user=',
      layer: (next) => (inbound) => {
        const user = new URL(inbound.head.url, 'http://x').searchParams.get('user');
        return next(
          user === null ? inbound : withHead(inbound, withHeaders(inbound.head, { 'x-user': user })),
        );
      },
    };
    const { router: r, port } = await router(dtab, { namers, stats, layers: { server: [userHeader] } });
    // Every endpoint is known and alive, with the client created.
    expect((await spread(port, 30)).size).toBe(3);
    const bytesBefore = backends.map((b) => b.bytesReceived());
    const requestsBefore = clientCounters(stats, '/requests');

    const replies: string[] = [];
    for (let i = 0; i < 12; i++) {
      replies.push(
        await rawExchange(port, 'GET * HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n'),
      );
      replies.push(
        await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: h\r\nx-dst: web\r\nConnection: close\r\n\r\n'),
      );
      replies.push(await rawExchange(port, 'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nx-dst: web\r\n\r\n'));
      const refused = await httpRequest(port, { path: '/?user=a%0Ab', headers: { 'x-dst': 'web' } });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatch(/^Request cannot be forwarded: .*x-user/);
    }
    expect(replies.map((r) => r.slice(0, 12))).toEqual(
      Array.from({ length: 12 }, () => ['HTTP/1.1 400', 'HTTP/1.1 200', 'HTTP/1.1 405']).flat(),
    );

    expect(backends.map((b) => b.bytesReceived())).toEqual(bytesBefore);
    expect(endpointStates(r)).toEqual(['alive', 'alive', 'alive']);
    expect(clientCounters(stats, '/failures')).toBe(0);
    expect(clientCounters(stats, '/requests')).toBe(requestsBefore);
    expect((await spread(port, 30)).size).toBe(3);
  });

  it('client-caused body failures (reset mid-upload, 413 while streaming) are not endpoint failures', async () => {
    let uploadArrived: () => void = () => {};
    let arrived = new Promise<void>((resolve) => {
      uploadArrived = resolve;
    });
    const handler: Parameters<typeof backend>[0] = (req, res, self) => {
      if (req.url === '/upload') {
        req.once('data', () => uploadArrived());
        req.on('error', () => {});
        req.resume();
        req.on('end', () => res.end('done'));
        return;
      }
      req.resume();
      req.on('end', () => res.end(`backend:${self.port}`));
    };
    const backends = [await backend(handler), await backend(handler), await backend(handler)];
    const stats = createMetricsRegistry();
    const { dtab, namers } = oneClient(backends);
    const { router: r, port } = await router(dtab, {
      namers,
      stats,
      servers: [{ port: 0, maxRequestBodyBytes: 1000 }],
    });
    expect((await spread(port, 30)).size).toBe(3);

    for (let i = 0; i < 8; i++) {
      // Over maxRequestBodyBytes while streaming (no Content-Length): the router aborts the upload.
      const tooLarge = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/upload',
            headers: { 'x-dst': 'web', 'transfer-encoding': 'chunked' },
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.write('x'.repeat(800));
        setTimeout(() => req.end('y'.repeat(800)), 20);
      }).catch(() => 0);
      expect([413, 0]).toContain(tooLarge);
      await abortedUpload(port, arrived);
      arrived = new Promise<void>((resolve) => {
        uploadArrived = resolve;
      });
    }

    expect(endpointStates(r)).toEqual(['alive', 'alive', 'alive']);
    expect(clientCounters(stats, '/failures')).toBe(0);
    expect((await spread(port, 30)).size).toBe(3);
  });
});
