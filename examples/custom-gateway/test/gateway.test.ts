/**
 * End to end through real sockets: two node:http backends, an fs-namer directory in a temp dir,
 * the gateway on port 0. Checks routing, the api-key layer, that an edit of the namer file moves
 * traffic, the admin metrics, and that docs/build-your-own-gateway.md embeds src/gateway.ts as is.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Gateway, startGateway } from '../src/gateway.js';

interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

interface Backend {
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** A backend answering `<name> <url>` and recording what it received. */
async function startBackend(name: string): Promise<Backend> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.end(`${name} ${req.url}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text() };
}

/** Replaces a namer file atomically (write a dotfile, rename), as a deploy script would. */
async function writeService(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, join(dir, name));
}

const KEY = { 'x-api-key': 'k-123' };

describe('custom gateway', () => {
  let dir: string;
  let v1: Backend;
  let v2: Backend;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'custom-gateway-'));
    [v1, v2] = await Promise.all([startBackend('users-v1'), startBackend('users-v2')]);
    await writeService(dir, 'users', `# the users service\n127.0.0.1 ${v1.port}\n`);
    gateway = await startGateway({ discoveryDir: dir, apiKeys: ['k-123', 'k-456'] });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([v1?.close(), v2?.close()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('routes /api/<service>/<rest> to the service named by the fs namer, forwarding /<rest>', async () => {
    const res = await get(`${gateway.url}/api/users/42?full=1`, KEY);
    expect(res).toEqual({ status: 200, body: 'users-v1 /42?full=1' });
    const seen = v1.seen.at(-1)!;
    expect(seen.url).toBe('/42?full=1');
    // The custom layer stripped the key and named the service; the router added its own headers.
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers['x-gateway-service']).toBe('/svc/api/users');
    expect(seen.headers['l5d-dst-service']).toBe('/svc/api/users');
    expect(seen.headers['l5d-dst-client']).toBe('/#/io.l5d.fs/users');
  });

  it('answers 401 without forwarding when the api key is missing or unknown', async () => {
    const before = v1.seen.length + v2.seen.length;
    expect(await get(`${gateway.url}/api/users/1`)).toEqual({
      status: 401,
      body: 'missing or unknown x-api-key\n',
    });
    expect((await get(`${gateway.url}/api/users/1`, { 'x-api-key': 'nope' })).status).toBe(401);
    expect(v1.seen.length + v2.seen.length).toBe(before);
    // Another accepted key passes.
    expect((await get(`${gateway.url}/api/users/1`, { 'x-api-key': 'k-456' })).status).toBe(200);
  });

  it('answers 400 for a path the identifier cannot name and 502 for an unknown service', async () => {
    const short = await get(`${gateway.url}/api`, KEY);
    expect(short.status).toBe(400);
    expect(short.body).toContain('Unknown destination');
    expect(short.body).toContain('not enough segments in path');

    const unknown = await get(`${gateway.url}/api/orders/1`, KEY);
    expect(unknown.status).toBe(502);
    // clearContext: the body names no dtab and no address.
    expect(unknown.body).toBe('Unable to route request!\n');
    // Only /svc/api is delegated to the namer: other prefixes are not routed.
    expect((await get(`${gateway.url}/internal/users/1`, KEY)).status).toBe(502);
  });

  it('moves traffic when the namer file is edited, without a restart', async () => {
    await writeService(dir, 'users', `127.0.0.1 ${v2.port}\n`);
    await vi.waitFor(
      async () => {
        expect((await get(`${gateway.url}/api/users/7`, KEY)).body).toBe('users-v2 /7');
      },
      { timeout: 15_000, interval: 50 },
    );
    // Once moved, traffic stays on v2.
    const v1Count = v1.seen.length;
    for (let i = 0; i < 5; i++)
      expect((await get(`${gateway.url}/api/users/${i}`, KEY)).body).toBe(`users-v2 /${i}`);
    expect(v1.seen.length).toBe(v1Count);
  });

  it('counts requests per service in the admin metrics', async () => {
    const res = await fetch(`${gateway.adminUrl}/admin/metrics.json`);
    expect(res.status).toBe(200);
    const metrics = (await res.json()) as Record<string, number>;
    expect(metrics['rt/gateway/service/svc/api/users/requests']).toBeGreaterThanOrEqual(8);
    expect(metrics['rt/gateway/service/svc/api/users/success']).toBeGreaterThanOrEqual(8);
    expect(metrics['namer/fs/reloads']).toBeGreaterThanOrEqual(2);
    const prom = await (await fetch(`${gateway.adminUrl}/admin/metrics/prometheus`)).text();
    expect(prom).toMatch(/^rt_service_requests_total\{rt="gateway",service="svc\/api\/users"\} \d+$/m);
  });
});

describe('docs/build-your-own-gateway.md', () => {
  it('embeds src/gateway.ts verbatim', async () => {
    const here = import.meta.dirname;
    const source = await readFile(join(here, '..', 'src', 'gateway.ts'), 'utf8');
    const doc = await readFile(join(here, '..', '..', '..', 'docs', 'build-your-own-gateway.md'), 'utf8');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(source);
  });
});
