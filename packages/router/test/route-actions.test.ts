/**
 * Route actions an identifier attaches to an identification (Gateway API rule `timeouts` and
 * `RequestMirror`), applied by the router's layers: real sockets, ephemeral ports.
 */
import http from 'node:http';
import { classifiers } from '@switchyard/balancers';
import type { Identifier, RequestHead, RouteActions } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { fixtures, send } from './helpers.js';

const { backend, router } = fixtures(200);

/** Names every request `/svc/web` with the given actions. */
function withActions(actions: RouteActions): Identifier<RequestHead> {
  return async (request) => ({ kind: 'identified', path: ['svc', 'web'], request, actions });
}

describe('route timeouts', () => {
  it('answers 504 when timeouts.request runs out before the response head', async () => {
    const b = await backend(() => {});
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 200 }),
    });
    const t0 = Date.now();
    const reply = await send(port);
    const took = Date.now() - t0;
    expect(reply.status).toBe(504);
    expect(reply.body).toBe("Request exceeded the route's request timeout (200 ms)\n");
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1500);
  });

  it('takes the smaller of timeouts.request and totalTimeoutMs', async () => {
    const b = await backend(() => {});
    const shorterTotal = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 5000 }),
      service: { totalTimeoutMs: 150 },
    });
    const a = await send(shorterTotal.port);
    expect(a.status).toBe(503);
    expect(a.body).toBe('Request exceeded totalTimeoutMs (150 ms)\n');
    const shorterRoute = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 150 }),
      service: { totalTimeoutMs: 5000 },
    });
    const r = await send(shorterRoute.port);
    expect(r.status).toBe(504);
  });

  it('aborts a response whose body is still streaming at the deadline', async () => {
    const b = await backend((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part ');
      // The rest never comes.
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 250 }),
    });
    const t0 = Date.now();
    const outcome = await new Promise<{ status: number; body: string; aborted: boolean }>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, aborted: false }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body, aborted: true }));
      });
      req.on('error', () => resolve({ status: 0, body: '', aborted: true }));
    });
    const took = Date.now() - t0;
    expect(outcome).toEqual({ status: 200, body: 'first part ', aborted: true });
    expect(took).toBeGreaterThanOrEqual(240);
    expect(took).toBeLessThan(1500);
  });

  it('gives each attempt its own timeouts.backendRequest, so a retry can still answer', async () => {
    let n = 0;
    const b = await backend((req, res) => {
      req.resume();
      n++;
      if (n === 1) return; // the first attempt hangs
      res.end(`attempt ${n}`);
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 150, requestTimeoutMs: 2000 }),
      service: { responseClassifier: classifiers.retryableRead5XX },
    });
    const t0 = Date.now();
    const reply = await send(port);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('attempt 2');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(b.seen.length).toBe(2);
  });

  it('names timeouts.backendRequest when it cut the last attempt, and keeps a smaller attempt timeout', async () => {
    const b = await backend(() => {});
    const route = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 120 }),
    });
    const a = await send(route.port);
    expect(a.status).toBe(503);
    expect(a.body).toBe("Request attempt exceeded the route's timeouts.backendRequest (120 ms)\n");
    const client = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 5000 }),
      client: { requestAttemptTimeoutMs: 120 },
    });
    const c = await send(client.port);
    expect(c.body).toBe('Request attempt exceeded requestAttemptTimeoutMs (120 ms)\n');
  });
});
