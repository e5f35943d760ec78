/**
 * The admin port never refuses a connection across reloads that replace the admin server on the
 * same address (issue 16): a router added and removed (the admin's router list changes) and an
 * admin block change (`probe` added) — `/admin/ping` polled in a tight loop, one new connection
 * per request, gets 200 every time; a keep-alive connection opened before is served by the
 * replacement (it lists the new router set).
 */
import { Agent, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get } from './http.js';

const kinds = createDefaultKinds();

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One GET on a fresh connection: the status, or the connection error's code (ECONNREFUSED). */
function ping(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/admin/ping', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

describe('admin across reloads', () => {
  let linker: Linker;
  let adminPort: number;
  let probePort: number;
  const router = (label: string) => `- protocol: http
  label: ${label}
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: /svc/web => /$/inet/127.0.0.1/1
`;
  const config = (routers: string, admin = '') => `admin: {port: ${adminPort}, ip: 127.0.0.1${admin}}
routers:
${routers}`;
  const reload = (routers: string, admin?: string) =>
    linker.reload(parseLinkerConfig(config(routers, admin), 'admin.yaml', kinds));

  beforeAll(async () => {
    adminPort = await freePort();
    probePort = await freePort();
    linker = await Linker.start(parseLinkerConfig(config(router('a')), 'admin.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
    });
  });

  afterAll(async () => {
    await linker.close();
  });

  it('answers every ping while routers come and go and the admin block changes', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(adminPort, { path: '/admin/ping', agent: keepAlive });
    expect(first.status).toBe(200);
    let polling = true;
    const results: (number | string)[] = [];
    const poller = (async () => {
      while (polling) results.push(await ping(adminPort));
    })();
    const steps = [
      () => reload(`${router('a')}${router('b')}`),
      () => reload(router('a')),
      () => reload(router('a'), `, probe: {ip: 127.0.0.1, port: ${probePort}}`),
      () => reload(router('a')),
      () => reload(`${router('a')}${router('c')}`, `, probe: {ip: 127.0.0.1, port: ${probePort}}`),
    ];
    try {
      for (const step of steps) {
        expect((await step()).kind).toBe('applied');
        // A few pings between reloads too.
        const seen = results.length;
        while (results.length < seen + 3) await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      polling = false;
      await poller;
    }
    const failed = results.filter((r) => r !== 200);
    expect({ pings: results.length > 15, failed }).toEqual({ pings: true, failed: [] });
    // The keep-alive connection opened before the reloads is answered by the current admin
    // (two routers now, one then).
    const stacks = await get(adminPort, { path: '/admin/stacks.json', agent: keepAlive });
    expect(stacks.socket).toBe(first.socket);
    expect((JSON.parse(stacks.body) as unknown[]).length).toBe(2);
    expect((await ping(probePort)) as number).toBe(200);
    keepAlive.destroy();
  });
});
