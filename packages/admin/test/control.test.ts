/**
 * Control endpoints over real sockets: off by default, bearer token when on (inline or a file
 * that is re-read when a Secret rotates), cross-origin POSTs refused even with the token.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '../src/index.js';
import { raw } from './fixtures.js';

const TOKEN = 'k3y-0123456789abcdef';

let server: AdminServer | undefined;
let shutdowns = 0;

async function start(options: AdminServerOptions): Promise<AdminServer> {
  shutdowns = 0;
  server = createAdminServer({ port: 0, onShutdown: () => void shutdowns++, ...options });
  await server.listen();
  return server;
}

/** Temp directories this file made; removed after its tests. */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('control disabled (the default)', () => {
  it('POST /admin/shutdown without any header does not exist and does not stop anything', async () => {
    const s = await start({});
    const post = await raw(s.url, '/admin/shutdown', { method: 'POST' });
    expect(post.status).toBe(404);
    expect((await raw(s.url, '/admin/shutdown')).status).toBe(404);
    // Even a request carrying a token: there is nothing to authorise.
    expect((await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) })).status).toBe(
      404,
    );
    expect(shutdowns).toBe(0);
    const index = JSON.parse((await raw(s.url, '/admin')).body) as { endpoints: { path: string }[] };
    expect(index.endpoints.map((e) => e.path)).not.toContain('/admin/shutdown');
  });

  it('control: { enabled: false } is the same', async () => {
    const s = await start({ control: { enabled: false, token: TOKEN } });
    expect((await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) })).status).toBe(
      404,
    );
    expect(shutdowns).toBe(0);
  });
});

describe('control enabled with an inline token', () => {
  it('answers 401 with a Bearer challenge when the token is missing, malformed or wrong', async () => {
    const s = await start({ control: { enabled: true, token: TOKEN } });
    const none = await raw(s.url, '/admin/shutdown', { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="switchyard-admin"');
    expect(none.body).toBe('/admin/shutdown requires Authorization: Bearer <token>\n');

    const basic = await raw(s.url, '/admin/shutdown', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);

    const wrong = await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(`${TOKEN}x`) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="switchyard-admin", error="invalid_token"');
    const prefix = await raw(s.url, '/admin/shutdown', {
      method: 'POST',
      headers: bearer(TOKEN.slice(0, -1)),
    });
    expect(prefix.status).toBe(401);
    expect(shutdowns).toBe(0);
  });

  it('the right token shuts down once; GET never does', async () => {
    const s = await start({ control: { enabled: true, token: TOKEN } });
    const get = await raw(s.url, '/admin/shutdown', { headers: bearer(TOKEN) });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const events: unknown[] = [];
    const onEvent = (m: unknown) => events.push(m);
    subscribe('switchyard:admin:shutdown', onEvent);
    try {
      // The scheme is case-insensitive (RFC 6750 via RFC 9110 §11.1).
      const post = await raw(s.url, '/admin/shutdown', {
        method: 'POST',
        headers: { authorization: `bearer ${TOKEN}` },
      });
      expect(post.status).toBe(202);
      expect(post.body).toBe('shutting down\n');
      await expect.poll(() => shutdowns).toBe(1);
      const again = await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) });
      expect(again.body).toBe('already shutting down\n');
      expect(shutdowns).toBe(1);
      expect(events).toHaveLength(1);
    } finally {
      unsubscribe('switchyard:admin:shutdown', onEvent);
    }
  });

  it('refuses a cross-origin POST even with the token (a web page cannot stop the router)', async () => {
    const s = await start({ control: { enabled: true, token: TOKEN } });
    const res = await raw(s.url, '/admin/shutdown', {
      method: 'POST',
      headers: { ...bearer(TOKEN), origin: 'http://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(shutdowns).toBe(0);
  });
});

/** A directory laid out the way kubelet mounts a Secret: `token -> ..data/token`, `..data -> ..<ts>`. */
function secretDir(token: string): { dir: string; rotate(next: string): void } {
  const dir = tempDir('admin-secret-');
  let n = 0;
  const version = (value: string) => {
    const v = `..2026_12_07_${n++}`;
    mkdirSync(join(dir, v));
    writeFileSync(join(dir, v, 'token'), `${value}\n`);
    return v;
  };
  symlinkSync(version(token), join(dir, '..data'));
  symlinkSync(join('..data', 'token'), join(dir, 'token'));
  return {
    dir,
    rotate(next) {
      const v = version(next);
      symlinkSync(v, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // atomic swap, as kubelet does
    },
  };
}

describe('what the dashboard needs to offer control', () => {
  it('POST /admin/control/check answers 200 only to the right token, and the feed lists the control routes', async () => {
    const off = await start({ controlRoutes: { '/admin/extra': (_req, res) => void res.end() } });
    expect(
      (await raw(off.url, '/admin/control/check', { method: 'POST', headers: bearer(TOKEN) })).status,
    ).toBe(404);
    expect(JSON.parse((await raw(off.url, '/admin/dashboard.json')).body).control).toEqual([]);
    await off.close();

    const s = await start({
      control: { enabled: true, token: TOKEN },
      controlRoutes: { '/admin/extra': (_req, res) => void res.end() },
    });
    expect((await raw(s.url, '/admin/control/check', { method: 'POST' })).status).toBe(401);
    expect(
      (await raw(s.url, '/admin/control/check', { method: 'POST', headers: bearer(`${TOKEN}x`) })).status,
    ).toBe(401);
    const ok = await raw(s.url, '/admin/control/check', { method: 'POST', headers: bearer(TOKEN) });
    expect([ok.status, ok.body]).toEqual([200, 'token accepted\n']);
    expect(shutdowns).toBe(0);
    const feed = JSON.parse((await raw(s.url, '/admin/dashboard.json')).body) as { control: string[] };
    expect(feed.control).toEqual(['/admin/shutdown', '/admin/control/check', '/admin/extra']);
  });
});

describe('control enabled with a token file', () => {
  it('reads the file at listen and re-reads it when the Secret rotates', async () => {
    const secret = secretDir(TOKEN);
    const s = await start({ control: { enabled: true, tokenPath: join(secret.dir, 'token') } });
    const next = 'n3xt-fedcba9876543210';
    secret.rotate(next);
    const old = await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) });
    expect(old.status).toBe(401);
    const post = await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(next) });
    expect(post.status).toBe(202);
    await expect.poll(() => shutdowns).toBe(1);
  });

  it('picks up a file rewritten in place', async () => {
    const dir = tempDir('admin-token-');
    const file = join(dir, 'token');
    writeFileSync(file, TOKEN);
    const s = await start({ control: { enabled: true, tokenPath: file } });
    writeFileSync(file, 'another-token-of-22-ch');
    expect((await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) })).status).toBe(
      401,
    );
    expect(
      (await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer('another-token-of-22-ch') }))
        .status,
    ).toBe(202);
  });

  it('fails closed (503, reason on switchyard:admin:error) when the file disappears', async () => {
    const dir = tempDir('admin-token-');
    const file = join(dir, 'token');
    writeFileSync(file, TOKEN);
    const s = await start({ control: { enabled: true, tokenPath: file } });
    rmSync(file);
    const errors: { path: string; error: { code: string; message: string } }[] = [];
    const onError = (m: unknown) => errors.push(m as (typeof errors)[number]);
    subscribe('switchyard:admin:error', onError);
    try {
      const res = await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) });
      expect(res.status).toBe(503);
      expect(res.body).toBe('admin token unavailable\n');
      expect(res.body).not.toContain(dir);
    } finally {
      unsubscribe('switchyard:admin:error', onError);
    }
    expect(errors[0]?.error.code).toBe('SY_ERR_ADMIN_CONFIG');
    expect(errors[0]?.error.message).toContain(`control.tokenPath ${file}`);
    expect(shutdowns).toBe(0);
    // A token written back works again.
    writeFileSync(file, TOKEN);
    expect((await raw(s.url, '/admin/shutdown', { method: 'POST', headers: bearer(TOKEN) })).status).toBe(
      202,
    );
  });

  it('listen() rejects a missing or too-short token file, naming it, and leaves nothing bound', async () => {
    const dir = tempDir('admin-token-');
    const missing = createAdminServer({ port: 0, control: { enabled: true, tokenPath: join(dir, 'nope') } });
    await expect(missing.listen()).rejects.toMatchObject({
      code: 'SY_ERR_ADMIN_CONFIG',
      message: expect.stringContaining(`control.tokenPath ${join(dir, 'nope')}: ENOENT`),
    });
    expect(missing.address).toBeUndefined();
    writeFileSync(join(dir, 'short'), 'abc\n');
    const short = createAdminServer({ port: 0, control: { enabled: true, tokenPath: join(dir, 'short') } });
    await expect(short.listen()).rejects.toThrow(
      /control\.tokenPath .*short: the admin token must be at least 16 characters \(got 3\)/,
    );
    // The server can listen once the file is fixed.
    writeFileSync(join(dir, 'short'), TOKEN);
    await short.listen();
    await short.close();
  });
});

describe('control options are checked at construction', () => {
  it('names the field that is wrong', () => {
    expect(() => createAdminServer({ control: { enabled: true } })).toThrow(
      'control.enabled requires exactly one of control.token or control.tokenPath',
    );
    expect(() => createAdminServer({ control: { enabled: true, token: TOKEN, tokenPath: '/x' } })).toThrow(
      /exactly one of control\.token or control\.tokenPath/,
    );
    expect(() => createAdminServer({ control: { enabled: true, token: 'short' } })).toThrow(
      'control.token: the admin token must be at least 16 characters (got 5)',
    );
    try {
      createAdminServer({ control: { enabled: true } });
    } catch (err) {
      expect((err as { code: string }).code).toBe('SY_ERR_ADMIN_CONFIG');
    }
  });
});
