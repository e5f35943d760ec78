/**
 * The dashboard's mutating forms in Debian's chromium, against a real linker: admin control with
 * a bearer token, a router with dtab overrides, signed override cookies and a file dtab store.
 * The forms stay hidden until the token is accepted; the minted cookie routes a real request; the
 * playground's "apply to store" writes the store file and the router follows; a store changed
 * behind the operator's back is a conflict that writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dtab } from '@switchyard/dtab';
import { chromiumLaunchOptions, collectPageErrors } from '@switchyard/testkit';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get as httpGet, textBackend } from './http.js';

const TOKEN = randomBytes(24).toString('hex');
const kinds = createDefaultKinds();

let dir: string;
let blue: { server: Server; port: number };
let green: { server: Server; port: number };
let linker: Linker;
let context: BrowserContext;
let page: Page;
let profile: string;
const consoleErrors: string[] = [];

const CONFIG = (root: string) => `admin:
  port: 0
  ip: 127.0.0.1
  security: {controlEnabled: true, controlTokenPath: admin-token}
namers:
- kind: io.l5d.fs
  rootDir: ${root}
routers:
- protocol: http
  label: edge
  dtab: /svc/web => /#/io.l5d.fs/blue
  servers:
  - port: 0
    ip: 127.0.0.1
  dtabOverrides:
  - label: dogfood
    when: {cookie: {name: dogfood, match: "yes"}}
    dtab: /svc/web => /#/io.l5d.fs/green
  signedDtabOverrides:
    cookie: l5d-override
    maxTtlSecs: 86400
    keys:
    - {id: k1, secretPath: k1.key}
  dtabStore:
    kind: io.l5d.fs
    dir: dtabs
    pollIntervalMs: 50
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-dashboard-control-'));
  await mkdir(join(dir, 'dtabs'));
  await writeFile(join(dir, 'admin-token'), `${TOKEN}\n`);
  await writeFile(join(dir, 'k1.key'), randomBytes(32).toString('hex'));
  blue = await textBackend('blue');
  green = await textBackend('green');
  await writeFile(join(dir, 'blue'), `127.0.0.1 ${blue.port}\n`);
  await writeFile(join(dir, 'green'), `127.0.0.1 ${green.port}\n`);
  linker = await Linker.start(parseLinkerConfig(CONFIG(dir), join(dir, 'linker.yaml'), kinds), {
    kinds,
    baseDir: dir,
  });
  for (let i = 0; i < 500 && !linker.ready; i++) await new Promise((r) => setTimeout(r, 10));
  profile = await mkdtemp(join(tmpdir(), 'sy-chromium-'));
  context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  page = context.pages()[0] ?? (await context.newPage());
  collectPageErrors(page, consoleErrors);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await linker?.close();
  blue?.server.close();
  green?.server.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const routerPort = () => linker.routers[0]!.servers[0]!.port;
const routed = async (headers: Record<string, string> = {}) =>
  (await httpGet(routerPort(), { path: '/', headers: { host: 'web', ...headers } })).body;
const text = async (testid: string) =>
  ((await page.locator(`[data-testid="${testid}"]`).first().textContent()) ?? '').trim();
const visible = (testid: string) => page.locator(`[data-testid="${testid}"]`).first().isVisible();

describe('dashboard control forms in chromium against a linker', () => {
  it('shows override rows and keeps the forms hidden until the token is accepted', async () => {
    await page.goto(`${linker.admin!.url}/?refresh=250`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await text('override-edge-dogfood')).toBe('0');
    expect(await routed({ cookie: 'dogfood=yes' })).toBe('green');
    await expect.poll(() => text('override-edge-dogfood'), { timeout: 20_000 }).toBe('1');

    expect(await page.locator('#control').isVisible()).toBe(true);
    expect(await visible('mint-form')).toBe(false);
    await page.fill('[data-testid="control-token"]', `${TOKEN}x`);
    await page.click('[data-testid="control-unlock"]');
    await page.waitForSelector('[data-testid="control-error"]', { timeout: 20_000 });
    expect(await text('control-error')).toBe('invalid bearer token');
    expect(await visible('mint-form')).toBe(false);

    await page.fill('[data-testid="control-token"]', TOKEN);
    await page.click('[data-testid="control-unlock"]');
    await page.waitForSelector('[data-testid="mint-form"]', { state: 'visible', timeout: 20_000 });
    // The token is kept in script memory only: not in the DOM, a cookie or storage.
    expect(await page.content()).not.toContain(TOKEN);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate('JSON.stringify([localStorage, sessionStorage])')).toBe('[{},{}]');
  }, 60_000);

  it('mints a signed cookie that routes a real request, and shows a bad dtab as an error', async () => {
    await page.fill('[data-testid="mint-dtab"]', '/svc/web =>');
    await page.click('[data-testid="mint-go"]');
    await page.waitForSelector('[data-testid="mint-error"]', { timeout: 20_000 });
    expect(await text('mint-error')).toMatch(/dtab.*line 1 column 12/);

    await page.fill('[data-testid="mint-dtab"]', '/svc/web => /#/io.l5d.fs/green');
    await page.fill('[data-testid="mint-hours"]', '2');
    await page.click('[data-testid="mint-go"]');
    await page.waitForSelector('[data-testid="mint-set-cookie"]', { timeout: 20_000 });
    const setCookie = await text('mint-set-cookie');
    expect(setCookie).toMatch(
      /^l5d-override=v1\.k1\.[^;]+; Max-Age=7200; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
    const value = setCookie.split(';')[0]!.slice('l5d-override='.length);
    expect(await routed({ cookie: `l5d-override=${value}` })).toBe('green');
    expect(await routed()).toBe('blue');
  }, 60_000);

  it('applies a tested dtab to the store file, and the router follows', async () => {
    expect(await routed()).toBe('blue');
    await page.fill('[data-testid="pg-path"]', '/svc/web');
    await page.fill('[data-testid="pg-dtab"]', '/svc/web => /#/io.l5d.fs/green;');
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="pg-apply"]', { timeout: 20_000 });
    expect(await text('pg-apply-box')).toContain('version none yet');
    await page.click('[data-testid="pg-apply"]');
    await page.waitForSelector('[data-testid="pg-applied"]', { timeout: 20_000 });
    expect(await text('pg-applied')).toMatch(/^applied: version [0-9a-f]+$/);
    expect(Dtab.show(Dtab.read(await readFile(join(dir, 'dtabs', 'edge'), 'utf8')))).toBe(
      '/svc/web=>/#/io.l5d.fs/green',
    );
    await expect.poll(() => routed(), { timeout: 20_000 }).toBe('green');
  }, 60_000);

  it('refuses to apply over a store that changed since the test, writing nothing', async () => {
    await page.fill('[data-testid="pg-dtab"]', '/svc/web => /#/io.l5d.fs/blue');
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="pg-apply"]', { timeout: 20_000 });
    // Someone else changes the store between the test and the click.
    const theirs = '/svc/other => /#/io.l5d.fs/blue\n';
    await writeFile(join(dir, 'dtabs', 'edge'), theirs);
    await page.click('[data-testid="pg-apply"]');
    await page.waitForSelector('[data-testid="pg-apply-error"]', { timeout: 20_000 });
    expect(await text('pg-apply-error')).toMatch(/changed since version .*nothing was written/);
    expect(await readFile(join(dir, 'dtabs', 'edge'), 'utf8')).toBe(theirs);
    // The 409 is logged by Chrome as a failed resource load; nothing else may be.
    expect(consoleErrors.filter((e) => !/\b(400|401|409)\b/.test(e))).toEqual([]);
  }, 60_000);

  it('hides the forms again after Lock', async () => {
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="pg-apply"]', { timeout: 20_000 });
    await page.click('[data-testid="control-lock"]');
    await page.waitForSelector('[data-testid="mint-form"]', { state: 'hidden', timeout: 20_000 });
    // The apply offer made while unlocked goes too.
    expect(await page.locator('[data-testid="pg-apply"]').count()).toBe(0);
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="delegate-tree"]', { timeout: 20_000 });
    expect(await page.locator('[data-testid="pg-apply"]').count()).toBe(0);
  }, 60_000);
});
