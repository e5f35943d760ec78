/**
 * Route actions an identifier attaches to an identification (Gateway API rule `timeouts` and
 * `RequestMirror`), applied by the router's layers: real sockets, ephemeral ports.
 */
import http from 'node:http';
import { classifiers } from '@switchyard/balancers';
import {
  createMetricsRegistry,
  type Identifier,
  type RequestHead,
  type RouteActions,
} from '@switchyard/core';
import { eventually, freePort, httpRequest } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';

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
    const reply = await httpRequest(port);
    const took = Date.now() - t0;
    expect(reply.status).toBe(504);
    expect(reply.body).toBe("Request exceeded the route's request timeout (200 ms)\n");
    // The 504 and its body say the route timeout fired; a timer never fires early.
    expect(took).toBeGreaterThanOrEqual(190);
  });

  it('takes the smaller of timeouts.request and totalTimeoutMs', async () => {
    const b = await backend(() => {});
    const shorterTotal = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 5000 }),
      service: { totalTimeoutMs: 150 },
    });
    const a = await httpRequest(shorterTotal.port);
    expect(a.status).toBe(503);
    expect(a.body).toBe('Request exceeded totalTimeoutMs (150 ms)\n');
    const shorterRoute = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ requestTimeoutMs: 150 }),
      service: { totalTimeoutMs: 5000 },
    });
    const r = await httpRequest(shorterRoute.port);
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
    // The cut body says the deadline fired mid-body; a timer never fires early.
    expect(took).toBeGreaterThanOrEqual(240);
  });

  it('gives each attempt its own timeouts.backendRequest, so a retry can still answer', async () => {
    // Order, not speed: the first attempt hangs until the router cuts it (its request closes on the
    // backend without an answer), then a later attempt answers. Each later attempt is answered at
    // once, but under CI load one took longer than its 150 ms and a third answered (Node 24): the
    // attempt timeout is 500 ms, and the answer must come from the last attempt the backend saw.
    // requestTimeoutMs bounds the whole exchange, far above the attempts.
    const events: string[] = [];
    let n = 0;
    const b = await backend((req, res) => {
      req.resume();
      const attempt = ++n;
      events.push(`arrived ${attempt}`);
      if (attempt === 1) {
        res.on('close', () => events.push(`cut 1 (answered: ${res.writableEnded})`));
        return; // the first attempt hangs
      }
      res.end(`attempt ${attempt}`);
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 500, requestTimeoutMs: 8000 }),
      service: { responseClassifier: classifiers.retryableRead5XX },
    });
    const t0 = performance.now();
    const reply = await httpRequest(port);
    const took = performance.now() - t0;
    expect(reply.status).toBe(200);
    expect(b.seen.length).toBeGreaterThanOrEqual(2);
    expect(reply.body).toBe(`attempt ${b.seen.length}`);
    // A timer never fires early: the retry came after the first attempt's own timeout.
    expect(took).toBeGreaterThanOrEqual(495);
    await eventually(() => events.includes('cut 1 (answered: false)'));
    expect(events[0]).toBe('arrived 1');
    expect(events.filter((e) => e.startsWith('cut'))).toEqual(['cut 1 (answered: false)']);
  });

  it('names timeouts.backendRequest when it cut the last attempt, and keeps a smaller attempt timeout', async () => {
    const b = await backend(() => {});
    const route = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 120 }),
    });
    const a = await httpRequest(route.port);
    // Gateway API conformance (HTTPRouteTimeoutBackendRequest) expects 504.
    expect(a.status).toBe(504);
    expect(a.body).toBe("Backend request exceeded the route's timeouts.backendRequest (120 ms)\n");
    expect(a.headers['l5d-err']).toBe(
      encodeURIComponent("Backend request exceeded the route's timeouts.backendRequest (120 ms)"),
    );
    const client = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 5000 }),
      client: { requestAttemptTimeoutMs: 120 },
    });
    const c = await httpRequest(client.port);
    expect(c.status).toBe(503);
    expect(c.body).toBe('Request attempt exceeded requestAttemptTimeoutMs (120 ms)\n');
  });

  it('cuts a response whose body is still streaming when timeouts.backendRequest runs out (never a second head)', async () => {
    const b = await backend((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part ');
      // The rest never comes.
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 250 }),
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
    // The cut body says the deadline fired mid-body; a timer never fires early.
    expect(took).toBeGreaterThanOrEqual(240);
  });

  it('lets a backend that answers in full within timeouts.backendRequest through', async () => {
    const b = await backend((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part ');
      setTimeout(() => res.end('second part'), 50);
    });
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      identifier: withActions({ backendRequestTimeoutMs: 1000 }),
    });
    const reply = await httpRequest(port);
    expect([reply.status, reply.body]).toEqual([200, 'first part second part']);
  });
});

/** The counter `rt/http/<name>`, 0 when absent. */
function counter(stats: ReturnType<typeof createMetricsRegistry>, name: string): number {
  const m = stats.snapshot().find((s) => s.kind === 'counter' && s.name.join('/') === `rt/http/${name}`);
  return m?.kind === 'counter' ? m.value : 0;
}

/** A backend that records each request's method, url, dst header and body. */
async function recordingBackend(): Promise<{ port: number; got: string[] }> {
  const got: string[] = [];
  const b = await backend((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      got.push(`${req.method} ${req.url} ${req.headers['l5d-dst-service']} ${body}`);
      res.end('mirror says hi');
    });
  });
  return { port: b.port, got };
}

describe('RequestMirror', () => {
  it('sends each mirror a copy (head, and a buffered body) while the real backend answers', async () => {
    const real = await backend();
    const shadow = await recordingBackend();
    const stats = createMetricsRegistry();
    const { port } = await router(
      `/svc/web => /$/inet/127.0.0.1/${real.port}; /svc/shadow => /$/inet/127.0.0.1/${shadow.port}`,
      {
        identifier: withActions({ mirrors: [['svc', 'shadow']] }),
        service: { responseClassifier: classifiers.retryableAll5XX },
        stats,
      },
    );
    const get = await httpRequest(port, { path: '/a?x=1' });
    expect([get.status, get.body]).toEqual([200, `backend:${real.port} GET /a?x=1`]);
    const post = await httpRequest(port, { method: 'POST', path: '/b', body: 'hello' });
    expect([post.status, post.body]).toEqual([200, `backend:${real.port} POST /b`]);
    await eventually(() => shadow.got.length === 2, { timeoutMs: 10_000 });
    expect(shadow.got.sort()).toEqual(['GET /a?x=1 /svc/shadow ', 'POST /b /svc/shadow hello']);
    await eventually(() => counter(stats, 'mirror/success') === 2, { timeoutMs: 10_000 });
    expect(counter(stats, 'mirror/requests')).toBe(2);
    expect(counter(stats, 'mirror/failures')).toBe(0);
  });

  it('skips (and counts) the copy of a streamed body, and sends it once however many retries', async () => {
    let calls = 0;
    const real = await backend((req, res) => {
      req.resume();
      calls++;
      res.statusCode = calls === 1 ? 503 : 200;
      req.on('end', () => res.end(`call ${calls}`));
    });
    const shadow = await recordingBackend();
    const stats = createMetricsRegistry();
    const { port } = await router(
      `/svc/web => /$/inet/127.0.0.1/${real.port}; /svc/shadow => /$/inet/127.0.0.1/${shadow.port}`,
      {
        identifier: withActions({ mirrors: [['svc', 'shadow']] }),
        service: { responseClassifier: classifiers.retryableRead5XX },
        stats,
      },
    );
    // Retried GET: one copy, not one per attempt.
    const get = await httpRequest(port, { path: '/r' });
    expect([get.status, get.body]).toEqual([200, 'call 2']);
    // A POST is not retryable here, so its body streams: no copy.
    const post = await httpRequest(port, { method: 'POST', path: '/s', body: 'streamed' });
    expect(post.status).toBe(200);
    await eventually(() => counter(stats, 'mirror/success') === 1, { timeoutMs: 10_000 });
    expect(counter(stats, 'mirror/skipped/body')).toBe(1);
    expect(shadow.got).toEqual(['GET /r /svc/shadow ']);
  });

  it("a dead or silent mirror changes nothing for the client nor for the real backend's client stats", async () => {
    const real = await backend();
    // The silent mirror never answers; `cut` has the paths whose copy the router has given up on.
    const cut = new Set<string>();
    const silent = await backend((req, res) => {
      req.resume();
      res.on('close', () => cut.add(req.url ?? ''));
    });
    const dead = await freePort();
    const stats = createMetricsRegistry();
    const { port } = await router(
      `/svc/web => /$/inet/127.0.0.1/${real.port}; /svc/silent => /$/inet/127.0.0.1/${silent.port}; /svc/dead => /$/inet/127.0.0.1/${dead}; /svc/none => /$/fail`,
      {
        identifier: withActions({
          requestTimeoutMs: 2000,
          mirrors: [
            ['svc', 'silent'],
            ['svc', 'dead'],
            ['svc', 'none'],
          ],
        }),
        stats,
      },
    );
    for (let i = 0; i < 5; i++) {
      const reply = await httpRequest(port, { path: `/${i}` });
      expect([reply.status, reply.body]).toEqual([200, `backend:${real.port} GET /${i}`]);
      // Order, not speed: the answer came while the silent copy was still open (a router that
      // waited for its mirrors would answer only after the 2 s request timeout cut the copy).
      expect(cut.has(`/${i}`), `/${i} answered after its mirror copy was cut`).toBe(false);
    }
    // The silent mirror's copies are cut at the route's request timeout; the others fail at once.
    await eventually(() => counter(stats, 'mirror/failures') === 15, { timeoutMs: 10_000 });
    expect(counter(stats, 'mirror/success')).toBe(0);
    expect(silent.seen.length).toBe(5);
    const realClient = `client/$/inet/127.0.0.1/${real.port}`;
    expect(counter(stats, `${realClient}/requests`)).toBe(5);
    expect(counter(stats, `${realClient}/success`)).toBe(5);
    expect(counter(stats, `${realClient}/failures`)).toBe(0);
  });
});
