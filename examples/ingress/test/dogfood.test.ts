/**
 * Part V of the post ("dogfooding"), without NGINX in front, through the real binary: requests
 * carrying the dogfood cookie are served by world-v2, everyone else by world — switched on by a
 * config reload, no restart. The edge has clearContext: true, so an l5d-dtab header from a client
 * is still ignored; a malformed cookie, a forged or an expired signed cookie are each ignored with
 * a log line and a counter, and routing stays as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintSignedOverride } from '@switchyard/identifiers/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackend, startDemoBackend } from '../src/demo-backends.js';
import { type RunningBinary, startBinary } from './binary.js';
import { curl, eventually } from './http-client.js';

const WORLD = 'world (127.0.0.1)!\n';
const TOKEN = randomBytes(24).toString('hex');
const WORLD_V2 = 'earth (127.0.0.1)!\n';

function config(dir: string, overrides = ''): string {
  return `admin:
  port: 0
  security: {controlEnabled: true, controlTokenPath: admin-token}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  servers:
  - port: 0
    ip: 127.0.0.1
    clearContext: true
  dtab: /svc => /#/io.l5d.fs
${overrides}`;
}

const OVERRIDES = `  dtabOverrides:
  - label: dogfood
    when: {cookie: {name: dogfood, match: "yes|1"}}
    dtab: /svc/world => /svc/world-v2
  signedDtabOverrides:
    cookie: l5d-override
    keys:
    - {id: k2, secretPath: k2.key}
    - {id: k1, secretPath: k1.key}
`;

async function replace(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('Part V: dogfood overrides in the running binary', () => {
  let dir: string;
  let binary: RunningBinary;
  let adminUrl: string;
  const backends: DemoBackend[] = [];
  const k1 = { id: 'k1', secret: randomBytes(32) };
  const get = async (headers: Record<string, string> = {}) =>
    (await curl(`http://127.0.0.1:${binary.port}/`, { host: 'world', headers })).body;
  const counter = async (name: string): Promise<number | undefined> => {
    const metrics = JSON.parse((await curl(`${adminUrl}admin/metrics.json`)).body) as Record<string, number>;
    return metrics[name];
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-dogfood-'));
    backends.push(await startDemoBackend('world', 'world'), await startDemoBackend('world-v2', 'earth'));
    for (const b of backends) await writeFile(join(dir, b.name), `${b.host} ${b.port}\n`);
    // k1 is the previous key, still accepted while k2 (the new signing key) rolls out.
    await writeFile(join(dir, 'k1.key'), k1.secret);
    await writeFile(join(dir, 'k2.key'), `${randomBytes(32).toString('base64')}\n`);
    await writeFile(join(dir, 'admin-token'), `${TOKEN}\n`);
    await writeFile(join(dir, 'linker.yaml'), config(dir));
    binary = await startBinary(join(dir, 'linker.yaml'));
    // The admin line follows the serving line that startBinary waits for.
    await eventually(async () => /"msg":"admin","url"/.test(binary.stderr()));
    adminUrl = /"msg":"admin","url":"([^"]+)"/.exec(binary.stderr())![1]!;
  }, 60_000);

  afterAll(async () => {
    await binary?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves everyone from world until the override is configured', async () => {
    expect(await get()).toBe(WORLD);
    expect(await get({ cookie: 'dogfood=yes' })).toBe(WORLD);
  });

  it('after a reload, sends only dogfood-cookie requests to world-v2', async () => {
    await replace(join(dir, 'linker.yaml'), config(dir, OVERRIDES));
    await eventually(async () => (await get({ cookie: 'dogfood=yes' })) === WORLD_V2, 20_000);
    expect(binary.stderr()).toMatch(/"msg":"configuration reloaded".*routers\[0\]\.dtabOverrides/);
    expect(await get()).toBe(WORLD);
    expect(await get({ cookie: 'session=abc; dogfood=1' })).toBe(WORLD_V2);
    expect(await get({ cookie: 'dogfood=no' })).toBe(WORLD);
    // clearContext: a client cannot write its own dtab, with or without the cookie.
    expect(await get({ 'l5d-dtab': '/svc/world => /svc/world-v2' })).toBe(WORLD);
    expect(binary.stderr()).toMatch(
      /"msg":"identifiers:dtabOverride".*"overrides":\["dogfood"\].*"dtab":"\/svc\/world=>\/svc\/world-v2"/,
    );
    expect(await counter('rt/http/dtab_overrides/dogfood/applied')).toBe(2);
  }, 30_000);

  it('ignores a malformed dogfood cookie with a log line and a counter', async () => {
    expect(await get({ cookie: 'dogfood=y"es' })).toBe(WORLD);
    expect(binary.stderr()).toMatch(
      /"level":"warn","msg":"identifiers:dtabOverrideRejected","reason":"malformedCookie","cookie":"dogfood"/,
    );
    expect(await counter('rt/http/dtab_overrides/malformed_cookie')).toBe(1);
  });

  it('honours a signed cookie from a held key; forged and expired ones are logged, counted and ignored', async () => {
    const dtab = '/svc/world => /svc/world-v2';
    // Minted by the admin with the signing key (k2), for a tester: only with the admin token.
    const mint = (token?: string) =>
      fetch(`${adminUrl}admin/dtab-overrides/mint`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ router: 'http', dtab, ttlSecs: 8 * 3600 }),
      });
    expect((await mint()).status).toBe(401);
    expect((await mint('wrong')).status).toBe(401);
    const minted = (await (await mint(TOKEN)).json()) as { cookie: string; value: string; setCookie: string };
    expect(minted.cookie).toBe('l5d-override');
    expect(minted.value).toMatch(/^v1\.k2\./);
    expect(minted.setCookie).toMatch(
      /^l5d-override=v1\.k2\..*; Max-Age=28800; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
    expect(await get({ cookie: `l5d-override=${minted.value}` })).toBe(WORLD_V2);
    // A cookie signed with the previous key (k1) is still honoured while rotating.
    const signed = mintSignedOverride({ dtab, key: k1, expiresAt: Date.now() + 3_600_000 });
    expect(await get({ cookie: `l5d-override=${signed}` })).toBe(WORLD_V2);
    const forged = mintSignedOverride({
      dtab,
      key: { id: 'k1', secret: randomBytes(32) },
      expiresAt: Date.now() + 3_600_000,
    });
    expect(await get({ cookie: `l5d-override=${forged}` })).toBe(WORLD);
    const expired = mintSignedOverride({ dtab, key: k1, expiresAt: Date.now() - 1000 });
    expect(await get({ cookie: `l5d-override=${expired}` })).toBe(WORLD);
    const log = binary.stderr();
    expect(log).toMatch(
      /"msg":"identifiers:dtabOverrideRejected","reason":"badSignature","cookie":"l5d-override","keyId":"k1"/,
    );
    expect(log).toMatch(
      /"msg":"identifiers:dtabOverrideRejected","reason":"expired","cookie":"l5d-override","keyId":"k1"/,
    );
    expect(await counter('rt/http/dtab_overrides/signed/applied')).toBe(2);
    expect(await counter('rt/http/dtab_overrides/signed/rejected/badSignature')).toBe(1);
    expect(await counter('rt/http/dtab_overrides/signed/rejected/expired')).toBe(1);
  });

  it('switches dogfood off again without a restart', async () => {
    await replace(join(dir, 'linker.yaml'), config(dir));
    await eventually(async () => (await get({ cookie: 'dogfood=yes' })) === WORLD, 20_000);
    expect(await get()).toBe(WORLD);
  }, 30_000);
});
