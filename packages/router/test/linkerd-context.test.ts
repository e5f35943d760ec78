/**
 * Linkerd 1's context headers through a real router (issue 16 item 1): `l5d-reqid`,
 * `l5d-dst-residual`, `l5d-ctx-deadline` honoured and propagated, `l5d-err` on router-written
 * gRPC errors, `l5d-success-class` / `l5d-retryable` on responses, and what clearContext strips.
 */
import http2 from 'node:http2';
import { classifiers } from '@switchyard/balancers';
import { httpRequest } from '@switchyard/testkit';
import { createPlainHttpServer } from '@switchyard/tls';
import { describe, expect, it } from 'vitest';
import type { CreateServer, ServerLayer } from '../src/index.js';
import { fixtures } from './helpers.js';

const { backend, cleanup, router } = fixtures(200);

/** A server layer that keeps each request's `record.requestId` once the response ended. */
function recordIds(ids: (string | undefined)[]): ServerLayer {
  return {
    kind: 'server',
    role: 'test-record',
    description: 'keeps record.requestId',
    layer: (next) => async (request) => {
      await next(request);
      ids.push(request.exchange.record.requestId);
    },
  };
}

/** `l5d-ctx-deadline` for a deadline `ms` from now (negative: already passed). */
function ctxDeadline(ms: number): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return `${now} ${now + BigInt(ms) * 1_000_000n}`;
}

describe('l5d-reqid', () => {
  it('generates an id, forwards it and exposes it as record.requestId', async () => {
    const b = await backend();
    const ids: (string | undefined)[] = [];
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: [recordIds(ids)] },
    });
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    const sent = b.seen.map((r) => r.headers['l5d-reqid']);
    expect(sent[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(sent[1]).toMatch(/^[0-9a-f]{16}$/);
    expect(sent[0]).not.toBe(sent[1]);
    expect(ids).toEqual(sent);
  });

  it("keeps a trusted client's id; replaces an untrusted (clearContext) or malformed one", async () => {
    const b = await backend();
    const ids: (string | undefined)[] = [];
    const trusted = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      layers: { server: [recordIds(ids)] },
    });
    await httpRequest(trusted.port, { headers: { 'x-dst': 'web', 'l5d-reqid': 'abc-123' } });
    await httpRequest(trusted.port, { headers: { 'x-dst': 'web', 'l5d-reqid': 'a b,c' } });
    const cleared = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, clearContext: true }],
    });
    await httpRequest(cleared.port, { headers: { 'x-dst': 'web', 'l5d-reqid': 'abc-123' } });
    const sent = b.seen.map((r) => r.headers['l5d-reqid']);
    expect(sent[0]).toBe('abc-123');
    expect(ids[0]).toBe('abc-123');
    expect(sent[1]).toMatch(/^[0-9a-f]{16}$/);
    expect(sent[2]).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('l5d-dst-*', () => {
  it('sends l5d-dst-service, l5d-dst-client and the residual path in l5d-dst-residual', async () => {
    const b = await backend();
    const { port } = await router(
      `/svc/web => /$/inet/127.0.0.1/${b.port}/extra/path; /svc/plain => /$/inet/127.0.0.1/${b.port}`,
    );
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    await httpRequest(port, { headers: { 'x-dst': 'plain' } });
    expect(b.seen[0]!.headers['l5d-dst-service']).toBe('/svc/web');
    expect(b.seen[0]!.headers['l5d-dst-client']).toBe(`/$/inet/127.0.0.1/${b.port}`);
    expect(b.seen[0]!.headers['l5d-dst-residual']).toBe('/extra/path');
    // An empty residual is not sent (nor one a client made up).
    expect(b.seen[1]!.headers['l5d-dst-residual']).toBeUndefined();
  });
});

describe('l5d-ctx-deadline', () => {
  it('an expired deadline is answered 504 without contacting a backend', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const reply = await httpRequest(port, {
      headers: { 'x-dst': 'web', 'l5d-ctx-deadline': ctxDeadline(-5) },
    });
    expect(reply.status).toBe(504);
    expect(reply.body).toMatch(/^Request exceeded the client's l5d-ctx-deadline \(0 ms\)\n$/);
    expect(reply.headers['l5d-err']).toContain('l5d-ctx-deadline');
    expect(b.seen.length).toBe(0);
  });

  it('cuts a slow backend at the deadline, and the strictest of several values wins', async () => {
    const b = await backend(() => {});
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const t0 = Date.now();
    const reply = await httpRequest(port, {
      headers: { 'x-dst': 'web', 'l5d-ctx-deadline': `${ctxDeadline(5000)}, ${ctxDeadline(250)}` },
    });
    const took = Date.now() - t0;
    expect(reply.status).toBe(504);
    expect(reply.body).toMatch(/^Request exceeded the client's l5d-ctx-deadline \(\d+ ms\)\n$/);
    expect(took).toBeGreaterThanOrEqual(200);
    // The 250 ms value won, not the 5000 ms one: a bound between the two with room for load.
    expect(took).toBeLessThan(4_000);
    expect(b.seen.length).toBe(1);
  });

  it('propagates the remaining budget downstream: the smaller of the client deadline and totalTimeoutMs', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { totalTimeoutMs: 800 },
    });
    const before = Date.now();
    await httpRequest(port, { headers: { 'x-dst': 'web', 'l5d-ctx-deadline': ctxDeadline(5000) } });
    await httpRequest(port, { headers: { 'x-dst': 'web', 'l5d-ctx-deadline': ctxDeadline(300) } });
    await httpRequest(port, { headers: { 'x-dst': 'web' } });
    const after = Date.now();
    const deadlines = b.seen.map((r) => {
      const [ts, dl] = String(r.headers['l5d-ctx-deadline']).split(' ').map(BigInt);
      return { ts: Number(ts! / 1_000_000n), dl: Number(dl! / 1_000_000n) };
    });
    for (const d of deadlines) {
      expect(d.ts).toBeGreaterThanOrEqual(before - 1);
      expect(d.ts).toBeLessThanOrEqual(after + 1);
    }
    // totalTimeoutMs (800) is smaller than the client's 5 s.
    expect(deadlines[0]!.dl - before).toBeLessThanOrEqual(800 + (after - before) + 2);
    expect(deadlines[0]!.dl - before).toBeGreaterThan(700);
    // The client's 300 ms is smaller than totalTimeoutMs.
    expect(deadlines[1]!.dl - before).toBeLessThanOrEqual(300 + (after - before) + 2);
    expect(deadlines[1]!.dl - before).toBeGreaterThan(200);
    // No client deadline: totalTimeoutMs alone.
    expect(deadlines[2]!.dl - deadlines[2]!.ts).toBeLessThanOrEqual(800);
  });

  it('clearContext drops a client deadline unread (an untrusted client cannot set it)', async () => {
    const b = await backend();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, clearContext: true }],
    });
    const reply = await httpRequest(port, {
      headers: { 'x-dst': 'web', 'l5d-ctx-deadline': ctxDeadline(-5) },
    });
    expect(reply.status).toBe(200);
    expect(b.seen[0]!.headers['l5d-ctx-deadline']).toBeUndefined();
  });
});

describe('l5d-success-class and l5d-retryable', () => {
  it("sets the response's class by the router's classifier; clearContext strips it", async () => {
    const b = await backend((req, res) => {
      req.resume();
      res.statusCode = req.url === '/fail' ? 503 : 200;
      res.end('x');
    });
    const trusted = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`);
    const ok = await httpRequest(trusted.port, { headers: { 'x-dst': 'web' } });
    const fail = await httpRequest(trusted.port, { path: '/fail', headers: { 'x-dst': 'web' } });
    expect(ok.headers['l5d-success-class']).toBe('1.0');
    expect(ok.headers['l5d-retryable']).toBeUndefined();
    expect(fail.headers['l5d-success-class']).toBe('0.0');
    expect(fail.headers['l5d-retryable']).toBeUndefined();
    const retrying = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      service: { responseClassifier: classifiers.retryableRead5XX },
    });
    const retryable = await httpRequest(retrying.port, { path: '/fail', headers: { 'x-dst': 'web' } });
    expect(retryable.status).toBe(503);
    expect(retryable.headers['l5d-success-class']).toBe('0.0');
    expect(retryable.headers['l5d-retryable']).toBe('true');
    const cleared = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: 0, clearContext: true }],
    });
    const hidden = await httpRequest(cleared.port, { headers: { 'x-dst': 'web' } });
    expect(hidden.status).toBe(200);
    expect(hidden.headers['l5d-success-class']).toBeUndefined();
  });
});

describe('l5d-err on router-written gRPC errors', () => {
  const h2c: CreateServer = (options) => createPlainHttpServer({ ...options, h2: {} });

  async function grpcError(clearContext: boolean): Promise<http2.IncomingHttpHeaders> {
    const { port } = await router('/svc => /$/fail', {
      servers: [{ port: 0, clearContext, createServer: h2c }],
    });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanup.push(async () => session.destroy());
    return new Promise((resolve, reject) => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/test.Echo/Unary',
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-dst': 'web',
      });
      s.on('response', (h) => resolve(h));
      s.on('error', reject);
      s.resume();
      s.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  }

  it('carries l5d-err without clearContext, none with it', async () => {
    const open = await grpcError(false);
    expect(open['grpc-status']).toBe('12');
    expect(decodeURIComponent(String(open['l5d-err']))).toContain('Unable to route request!');
    const cleared = await grpcError(true);
    expect(cleared['grpc-status']).toBe('12');
    expect(cleared['l5d-err']).toBeUndefined();
  });
});
