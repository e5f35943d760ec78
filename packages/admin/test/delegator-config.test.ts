/**
 * The delegator and config documents over a real socket: `/delegator.json` (GET and Linkerd's
 * POST form) explaining paths with core's real interpreter, and `/config.json` and
 * `/admin/config.json` with secrets redacted.
 */
import { createMetricsRegistry } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminConfigStatus, type AdminServer, createAdminServer } from '../src/index.js';
import { raw, startExampleAdmin } from './fixtures.js';

let server: AdminServer;
let url: string;

beforeEach(async () => {
  server = await startExampleAdmin(createMetricsRegistry(), () => true);
  url = server.url;
});

afterEach(async () => {
  await server.close();
});

describe('/delegator.json', () => {
  it('GET explains a path with the dentry at each step', async () => {
    const res = await fetch(`${url}/delegator.json?router=http&path=/svc/web`);
    expect(res.status).toBe(200);
    const tree = (await res.json()) as Record<string, unknown>;
    // Both `/svc/web => …` and `/svc => /srv` match: an alt, the later dentry first.
    expect(tree).toMatchObject({ type: 'alt', path: '/svc/web', dentry: null });
    expect(JSON.stringify(tree)).toContain('"dentry":{"prefix":"/svc","dst":"/srv"}');
    expect(JSON.stringify(tree)).toContain('"prefix":"/svc/web","dst":"/$/inet/127.0.0.1/8080"');
    expect(JSON.stringify(tree)).toContain('"ip":"127.0.0.1","port":8080');
  });

  it('applies the dtab override after the router dtab', async () => {
    const q = new URLSearchParams({
      router: 'http',
      path: '/svc/web',
      dtab: '/svc/web => /$/inet/127.0.0.1/8081',
    });
    const tree = JSON.stringify(await (await fetch(`${url}/delegator.json?${q}`)).json());
    expect(tree).toContain('"port":8081');
  });

  it('POST JSON with namespace (Linkerd) picks the router', async () => {
    const res = await fetch(`${url}/delegator.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'h2', path: '/svc/x', dtab: '' }),
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('"port":7000');
  });

  it('rejects a bad dtab with 400 and the line and column', async () => {
    const q = new URLSearchParams({ router: 'http', path: '/svc/web', dtab: '/svc =>' });
    const res = await fetch(`${url}/delegator.json?${q}`);
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toMatch(/^invalid dtab: /);
    expect(body).toMatch(/1:8|line 1/);
  });

  it('rejects a missing or bad path, a bad body, and an unknown router', async () => {
    expect((await fetch(`${url}/delegator.json?router=http`)).status).toBe(400);
    const badPath = await fetch(`${url}/delegator.json?router=http&path=svc`);
    expect(badPath.status).toBe(400);
    expect(await badPath.text()).toMatch(/^invalid path: /);
    const badBody = await fetch(`${url}/delegator.json`, { method: 'POST', body: '{' });
    expect(badBody.status).toBe(400);
    expect(await badBody.text()).toMatch(/^body is not JSON/);
    const unknown = await fetch(`${url}/delegator.json?router=nope&path=/svc/a`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('unknown router "nope" (routers: http, h2)');
    const ambiguous = await fetch(`${url}/delegator.json?path=/svc/a`);
    expect(ambiguous.status).toBe(400);
  });
});

describe('/config.json', () => {
  it('serves the config with secrets redacted', async () => {
    const text = await (await fetch(`${url}/config.json`)).text();
    const config = JSON.parse(text);
    expect(config.admin).toEqual({ port: 19990 });
    expect(config.routers[0].servers[0].tls).toEqual({ certPath: '/c.pem', keyPath: '<redacted>' });
    expect(config.routers[0].client.tls.clientAuth).toBe('<redacted>');
    expect(config.namers[0]).toEqual({ kind: 'io.l5d.k8s', token: '<redacted>', password: '<redacted>' });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('/k.pem');
  });
});

describe('/admin/config.json', () => {
  it('serves the config in effect with its version and the last reload error, read per request', async () => {
    let status: AdminConfigStatus = { version: 1, config: { admin: { port: 1 }, password: 'hunter2' } };
    const s = createAdminServer({ port: 0, config: { stale: true }, configStatus: () => status });
    await s.listen();
    try {
      expect(JSON.parse((await raw(s.url, '/admin/config.json')).body)).toEqual({
        version: 1,
        config: { admin: { port: 1 }, password: '<redacted>' },
      });
      status = {
        version: 2,
        lastError: { message: 'bad port', file: 'linker.yaml:3:9', at: '2026-01-01T00:00:00.000Z' },
        config: { admin: { port: 2 } },
      };
      expect(JSON.parse((await raw(s.url, '/admin/config.json')).body)).toEqual({
        version: 2,
        lastError: { message: 'bad port', file: 'linker.yaml:3:9', at: '2026-01-01T00:00:00.000Z' },
        config: { admin: { port: 2 } },
      });
      // /config.json shows the config in effect too (Linkerd's route, config only).
      expect(JSON.parse((await raw(s.url, '/config.json')).body)).toEqual({ admin: { port: 2 } });
    } finally {
      await s.close();
    }
  });
});
