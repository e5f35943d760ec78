import type { IncomingHttpHeaders } from 'node:http';
import { type Backend, httpRequest, startBackend } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouter } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function backends(): Promise<{ good: Backend; evil: Backend; headers: IncomingHttpHeaders[] }> {
  const headers: IncomingHttpHeaders[] = [];
  const good = await startBackend((req, res) => {
    headers.push(req.headers);
    res.setHeader('l5d-success-class', '1.0');
    res.setHeader('l5d-retryable', 'false');
    res.end('good');
  });
  const evil = await startBackend((_req, res) => res.end('evil'));
  cleanup.push(
    () => good.close(),
    () => evil.close(),
  );
  return { good, evil, headers };
}

async function router(dtab: string, clearContext: boolean) {
  const r = await startRouter(dtab, { servers: [{ port: 0, clearContext }] });
  cleanup.push(() => r.router.close({ graceMs: 1000 }));
  return r;
}

describe('clearContext off (trusted clients)', () => {
  it('appends l5d-ctx-dtab then l5d-dtab to the base dtab and re-emits the local dtab downstream', async () => {
    const { good, evil, headers } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, false);
    const steered = await httpRequest(port, {
      headers: { 'x-dst': 'web', 'l5d-dtab': `/svc/web => /$/inet/127.0.0.1/${evil.port}` },
    });
    expect(steered.body).toBe('evil');
    // l5d-dtab is appended after l5d-ctx-dtab, so it wins.
    const both = await httpRequest(port, {
      headers: {
        'x-dst': 'web',
        'l5d-ctx-dtab': `/svc/web => /$/inet/127.0.0.1/${evil.port}`,
        'l5d-dtab': `/svc/web => /$/inet/127.0.0.1/${good.port}`,
      },
    });
    expect(both.body).toBe('good');
    expect(headers[0]!['l5d-ctx-dtab']).toBe(
      `/svc/web => /$/inet/127.0.0.1/${evil.port};/svc/web => /$/inet/127.0.0.1/${good.port}`,
    );
    expect(headers[0]!['l5d-dtab']).toBeUndefined();
    expect(both.headers['l5d-success-class']).toBe('1.0');
  });

  it('answers 400 with the parse error for an unparsable l5d-dtab, with l5d-err', async () => {
    const { good } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, false);
    const bad = await httpRequest(port, { headers: { 'x-dst': 'web', 'l5d-dtab': '/svc/web =>' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^Invalid l5d-dtab header: /);
    expect(`${decodeURIComponent(bad.headers['l5d-err'] as string)}\n`).toBe(bad.body);
  });

  it('shows the dtabs in a 502 body', async () => {
    const { good } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, false);
    const reply = await httpRequest(port, {
      headers: { 'x-dst': 'nope', 'l5d-dtab': '/svc/other => /$/nil' },
    });
    expect(reply.status).toBe(502);
    expect(reply.body).toContain(`base dtab: /svc/web=>/$/inet/127.0.0.1/${good.port}`);
    expect(reply.body).toContain('override dtab: /svc/other => /$/nil');
    expect(reply.headers['l5d-err']).toBeDefined();
  });
});

describe('clearContext on (a security boundary)', () => {
  it('a client cannot steer routing with l5d-dtab, l5d-ctx-dtab or dtab-local', async () => {
    const { good, evil, headers } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, true);
    const steer = `/svc/web => /$/inet/127.0.0.1/${evil.port}`;
    for (const header of ['l5d-dtab', 'l5d-ctx-dtab', 'dtab-local']) {
      const reply = await httpRequest(port, { headers: { 'x-dst': 'web', [header]: steer } });
      expect(reply.body, header).toBe('good');
    }
    // Even unparsable values are ignored rather than rejected: they are never read.
    const garbage = await httpRequest(port, { headers: { 'x-dst': 'web', 'l5d-dtab': '=>=>' } });
    expect(garbage.status).toBe(200);
    for (const h of headers) {
      expect(h['l5d-dtab']).toBeUndefined();
      expect(h['l5d-ctx-dtab']).toBeUndefined();
      expect(h['dtab-local']).toBeUndefined();
    }
  });

  it('strips every inbound l5d-* header but still adds l5d-dst-* and its own l5d-reqid downstream', async () => {
    const { good, headers } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, true);
    await httpRequest(port, {
      headers: { 'x-dst': 'web', 'l5d-reqid': 'x', 'l5d-ctx-foo': 'y', 'L5D-Dst-Service': '/svc/forged' },
    });
    const h = headers[0]!;
    expect(
      Object.keys(h)
        .filter((k) => k.startsWith('l5d-'))
        .sort(),
    ).toEqual(['l5d-dst-client', 'l5d-dst-service', 'l5d-reqid']);
    expect(h['l5d-dst-service']).toBe('/svc/web');
    expect(h['l5d-reqid']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('strips every l5d-* response header', async () => {
    const { good } = await backends();
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}`, true);
    const reply = await httpRequest(port, { headers: { 'x-dst': 'web' } });
    expect(reply.body).toBe('good');
    expect(Object.keys(reply.headers).filter((k) => k.startsWith('l5d-'))).toEqual([]);
  });

  it('error responses carry no l5d-err and reveal no dtab or endpoint address', async () => {
    const { good } = await backends();
    const dead = `/$/inet/127.0.0.1/1`;
    const { port } = await router(`/svc/web => /$/inet/127.0.0.1/${good.port}; /svc/dead => ${dead}`, true);
    const noRoute = await httpRequest(port, { headers: { 'x-dst': 'nope' } });
    expect(noRoute.status).toBe(502);
    expect(noRoute.body).toBe('Unable to route request!\n');
    const refused = await httpRequest(port, { headers: { 'x-dst': 'dead' } });
    expect(refused.status).toBe(502);
    expect(refused.body).toBe('Unable to establish connection to the backend.\n');
    const unknown = await httpRequest(port);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('Unknown destination');
    for (const r of [noRoute, refused, unknown]) {
      expect(r.headers['l5d-err']).toBeUndefined();
      expect(r.body).not.toContain('127.0.0.1:1');
      expect(r.body).not.toContain('/$/inet');
      expect(r.body).not.toContain(String(good.port));
    }
  });
});
