/**
 * `Linker.reload` adding and removing whole routers through real sockets: an added router is
 * bound and serves with its own dtab, a removed one drains its in-flight request like shutdown
 * and stops accepting, the admin lists the new set, and a port moving between routers in one
 * reload is refused at its file:line:col.
 */
import type { Server, ServerResponse } from 'node:http';
import { freePort } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, holdingBackend, listen } from './http.js';

const kinds = createDefaultKinds();

describe('reload of the router set', () => {
  const held: ServerResponse[] = [];
  let backends: Server[];
  let linker: Linker;
  let adminPort: number;
  let ports: { a: number; b: number };
  const router = (label: string, port: number, backend: number) => `- protocol: http
  label: ${label}
  servers:
  - {port: ${port}, ip: 127.0.0.1}
  dtab: /svc/web => /$/inet/127.0.0.1/${backend}
`;
  const backendPort = (i: number) => (backends[i]!.address() as { port: number }).port;
  const config = (routers: string) => `admin: {port: ${adminPort}, ip: 127.0.0.1, shutdownGraceMs: 5000}
routers:
${routers}`;
  const reload = (routers: string) =>
    linker.reload(parseLinkerConfig(config(routers), 'routers.yaml', kinds));
  const web = (port: number, path = '/') => get(port, { path, headers: { host: 'web' } });

  beforeAll(async () => {
    backends = [holdingBackend('blue', held), holdingBackend('green', held)];
    for (const b of backends) await listen(b);
    adminPort = await freePort();
    ports = { a: await freePort(), b: await freePort() };
    linker = await Linker.start(
      parseLinkerConfig(config(router('a', ports.a, backendPort(0))), 'routers.yaml', kinds),
      { kinds, baseDir: process.cwd() },
    );
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.end();
    await linker.close();
    for (const b of backends) b.close();
  });

  it('adds a router: it listens and routes with its own dtab; the admin lists it', async () => {
    const result = await reload(router('a', ports.a, backendPort(0)) + router('b', ports.b, backendPort(1)));
    expect(result).toEqual({ kind: 'applied', changes: ['routers[1] added', 'admin'] });
    expect((await web(ports.a)).body).toBe('blue');
    expect((await web(ports.b)).body).toBe('green');
    expect(linker.routers.map((r) => r.label)).toEqual(['a', 'b']);
    const stacks = JSON.parse((await get(adminPort, { path: '/admin/stacks.json' })).body);
    expect(stacks.map((r: { router: string }) => r.router)).toEqual(['a', 'b']);
    const metrics = JSON.parse((await get(adminPort, { path: '/admin/metrics.json' })).body);
    expect(metrics[`rt/b/server/127.0.0.1/${ports.b}/requests`]).toBe(1);
  });

  it('refuses a port moving between routers in one reload, at its file:line:col', async () => {
    const error = await reload(
      router('b', ports.b, backendPort(1)) + router('c', ports.a, backendPort(1)),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SY_ERR_CONFIG_RELOAD');
    expect((error as ConfigError).message).toContain(
      `routers.yaml:11:12: routers[1].servers[0].port: port ${ports.a} is served by router "a" in the running config`,
    );
    expect(linker.routers.map((r) => r.label)).toEqual(['a', 'b']);
    expect((await web(ports.a)).body).toBe('blue');
  });

  it('removes a router: it drains its in-flight request like shutdown, then stops', async () => {
    const inflight = web(ports.a, '/hold');
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const removing = reload(router('b', ports.b, backendPort(1)));
    // The removed router stops accepting at once while its request is still in flight.
    const accepting = () =>
      web(ports.a).then(
        () => true,
        () => false,
      );
    while (await accepting()) await new Promise((r) => setTimeout(r, 5));
    held.shift()!.end('finished');
    expect(await inflight).toMatchObject({ status: 200, body: 'finished' });
    expect(await removing).toEqual({ kind: 'applied', changes: ['router a removed', 'admin'] });
    expect(linker.routers.map((r) => r.label)).toEqual(['b']);
    expect((await web(ports.b)).body).toBe('green');
    expect(await accepting()).toBe(false);
    const stacks = JSON.parse((await get(adminPort, { path: '/admin/stacks.json' })).body);
    expect(stacks.map((r: { router: string }) => r.router)).toEqual(['b']);
    // Its readiness checks went with it.
    expect((await get(adminPort, { path: '/admin/ready' })).status).toBe(200);
  });
});
