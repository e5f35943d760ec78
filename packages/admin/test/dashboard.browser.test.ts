/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core. The page must
 * load without console errors, show numbers that change as traffic is recorded, and render a
 * delegation tree in the playground. With SWITCHYARD_SCREENSHOT=1 it also writes docs/dashboard.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsRegistry } from '@switchyard/core';
import { createRecentRequests } from '@switchyard/telemetry';
import { chromiumLaunchOptions, collectPageErrors } from '@switchyard/testkit';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, createAdminServer } from '../src/index.js';
import { recordRequest, testRouter } from './fixtures.js';

const DAY = 86_400_000;

const stats = createMetricsRegistry();
const recent = createRecentRequests({ sampleRate: 1, capacity: 20 });
let server: AdminServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const consoleErrors: string[] = [];

let seq = 0;
/** Records `n` requests through the `http` router with a spread of latencies and one failure in `failEvery`. */
function traffic(n: number, failEvery = 20): void {
  for (let i = 0; i < n; i++) {
    seq++;
    const ok = seq % failEvery !== 0;
    const latency = 2 + ((seq * 7919) % 40) + (seq % 50 === 0 ? 180 : 0);
    recordRequest(stats, 'http', ok, latency);
    if (seq % 7 === 0) {
      recent.record({
        timestamp: Date.now(),
        router: 'http',
        method: seq % 3 === 0 ? 'POST' : 'GET',
        host: 'web.example.com',
        uri: `/api/items/${seq}`,
        service: '/svc/web',
        client: '/$/inet/127.0.0.1/8080',
        endpoint: '127.0.0.1:8080',
        status: ok ? 200 : 503,
        durationMs: latency,
      });
    }
  }
}

beforeAll(async () => {
  const now = Date.now();
  stats.gauge(['rt', 'http', 'server', '0.0.0.0/18080', 'connections'], () => 12);
  stats.counter('rt', 'http', 'dtab_overrides', 'dogfood', 'applied').incr(3);
  stats.counter('rt', 'http', 'dtab_overrides', 'signed', 'rejected', 'expired').incr();
  server = createAdminServer({
    port: 0,
    stats,
    routers: [
      testRouter(
        'http',
        '/svc => /#/io.l5d.k8s/default/http; /svc/web => /$/inet/127.0.0.1/8080; /svc/api => 3 * /$/inet/127.0.0.1/9000 & /$/inet/127.0.0.1/9001',
        {
          clients: [
            {
              id: '/$/inet/127.0.0.1/8080',
              services: ['/svc/web'],
              balancer: 'p2c',
              size: 3,
              available: 2,
              endpoints: [
                { host: '10.1.0.11', port: 8080, load: 2, state: 'alive' },
                { host: '10.1.0.12', port: 8080, load: 1, state: 'alive' },
                { host: '10.1.0.13', port: 8080, load: 0, state: 'dead' },
              ],
            },
          ],
          ingress: [
            {
              ingress: 'default/web',
              host: 'web.example.com',
              path: '/api/.*',
              dst: '/svc/default/80/api',
              backend: 'api:80',
              readyEndpoints: 2,
            },
            {
              ingress: 'default/web',
              host: 'web.example.com',
              dst: '/svc/default/80/web',
              backend: 'web:80',
              readyEndpoints: 3,
            },
            {
              ingress: 'default/fallback',
              dst: '/svc/default/80/default',
              backend: 'default:80',
              readyEndpoints: 0,
              defaultBackend: true,
            },
          ],
          recent: () => recent.list(),
        },
      ),
    ],
    readiness: [
      { name: 'ingress watch', ready: () => true },
      { name: 'certificates', ready: () => true },
    ],
    acme: () => [
      {
        name: 'shop.example.com',
        state: 'valid',
        issuer: 'CN=Pebble Intermediate CA',
        notAfter: now + 80 * DAY,
        lastAttemptAt: now - DAY,
      },
      {
        name: 'new.example.com',
        state: 'none',
        lastAttemptAt: now - 60_000,
        lastError: 'SY_ERR_ACME_ORDER: urn:ietf:params:acme:error:connection',
      },
    ],
    certificates: () => [
      {
        name: 'http/0.0.0.0:443 web.example.com',
        subject: 'CN=web.example.com',
        issuer: 'CN=Example CA',
        sans: ['web.example.com', 'api.example.com'],
        notAfter: now + 62 * DAY,
        source: 'secret default/web-tls',
      },
      {
        name: 'http/0.0.0.0:443 old.example.com',
        subject: 'CN=old.example.com',
        notAfter: now + 5 * DAY,
        source: '/etc/tls/old.pem',
      },
    ],
  });
  await server.listen();
  profile = mkdtempSync(join(tmpdir(), 'sy-chromium-'));
  context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  page = context.pages()[0] ?? (await context.newPage());
  collectPageErrors(page, consoleErrors);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

const text = (testid: string) => page.locator(`[data-testid="${testid}"]`).first().textContent();

describe('dashboard in chromium', () => {
  it('loads without console errors and shows live numbers that change with traffic', async () => {
    await page.goto(`${server.url}/?refresh=250`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await text('requests-http')).toBe('0');
    expect(await text('conn')).toBe('live');

    traffic(40);
    await expect.poll(() => text('requests-http'), { timeout: 20_000 }).toBe('40');
    traffic(60);
    await expect.poll(() => text('requests-http'), { timeout: 20_000 }).toBe('100');
    expect(await text('failures-http')).toBe('5');
    expect(await text('connections-http')).toBe('12');
    expect(await text('p99-http')).toMatch(/ms$/);
    // A rate appears once two polls have seen different counters.
    traffic(30);
    await expect
      .poll(async () => Number.parseFloat((await text('rps-http')) ?? ''), { timeout: 20_000 })
      .toBeGreaterThan(0);

    const body = (await page.textContent('main')) ?? '';
    expect(body).toContain('/$/inet/127.0.0.1/8080'); // client
    expect(body).toContain('10.1.0.13:8080'); // endpoint
    expect(body).toContain('/svc/default/80/api'); // routing table
    expect(body).toContain('CN=web.example.com'); // certificate
    expect(body).toContain('/api/items/'); // recent requests
    expect(await page.locator('.chart').count()).toBe(3);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('shows a row per ACME name and per dtab override, and no control forms while control is off', async () => {
    const acme = (await page.textContent('#acme')) ?? '';
    expect(acme).toContain('CN=Pebble Intermediate CA');
    expect(acme).toMatch(/shop\.example\.com\s*valid/);
    expect(acme).toMatch(/\((79|80) days\)/);
    expect(acme).toContain('SY_ERR_ACME_ORDER: urn:ietf:params:acme:error:connection');
    expect(await text('acme-new.example.com')).toBe('new.example.com');
    // `dtab_overrides/<name>/applied` rows only; the rejection counters are not overrides.
    expect(await text('override-http-dogfood')).toBe('3');
    expect(await page.locator('[data-testid^="override-http-"]').count()).toBe(1);
    // Control is off: the card and the forms are not shown at all.
    expect(await page.locator('#control').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="mint-form"]').isVisible()).toBe(false);
  }, 60_000);

  it('renders a delegation tree with the dentry at each step', async () => {
    await page.fill('[data-testid="pg-path"]', '/svc/api');
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="delegate-tree"] .node-leaf', { timeout: 20_000 });
    const tree = (await page.textContent('[data-testid="delegate-tree"]')) ?? '';
    expect(tree).toMatch(
      /\/svc\/api => 3(\.0+)?\*\/\$\/inet\/127\.0\.0\.1\/9000 ?& ?\/\$\/inet\/127\.0\.0\.1\/9001/,
    );
    expect(await page.locator('[data-testid="delegate-tree"] .node-leaf').count()).toBe(2);
    expect(await page.locator('[data-testid="delegate-tree"] [data-type="union"]').count()).toBe(1);

    // A bad dtab shows the parse error (line and column) instead of a tree.
    await page.fill('[data-testid="pg-dtab"]', '/svc/api =>');
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="pg-error"]', { timeout: 20_000 });
    expect(await text('pg-error')).toMatch(/^invalid dtab: .*line 1 column 12/);
    // The 400 itself is logged by Chrome as a failed resource load; nothing else may be.
    expect(consoleErrors.filter((e) => !e.includes('400'))).toEqual([]);
    await page.fill('[data-testid="pg-dtab"]', '');
    await page.fill('[data-testid="pg-path"]', '/svc/web');
    await page.click('[data-testid="pg-go"]');
    await page.waitForSelector('[data-testid="delegate-tree"] .node-leaf', { timeout: 20_000 });
  }, 60_000);

  it.runIf(process.env.SWITCHYARD_SCREENSHOT === '1')(
    'writes docs/dashboard.png',
    async () => {
      for (let i = 0; i < 40; i++) {
        traffic(20 + ((i * 13) % 17), 400);
        await new Promise((r) => setTimeout(r, 260));
      }
      // Shoot right after a poll that saw traffic, so the rate is not the idle 0.
      traffic(25, 400);
      await expect
        .poll(async () => Number.parseFloat((await text('rps-http')) ?? ''), { timeout: 20_000 })
        .toBeGreaterThan(0);
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({
        path: join(import.meta.dirname, '..', '..', '..', 'docs', 'dashboard.png'),
        fullPage: true,
      });
    },
    60_000,
  );
});
