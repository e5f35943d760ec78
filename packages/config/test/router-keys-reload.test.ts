/**
 * Router keys that used to need a restart apply on `Linker.reload` (issue 16 item 3), each seen
 * on the next request, with a request loop running across every reload and failing none:
 * `dstPrefix` (the identifiers name requests under the new prefix), `bindingTimeoutMs` (a name
 * that never binds gives up after the new time), `bindingCache` (names bind again in a cache of
 * the new shape; the old clients close once idle), `interpreter` (only `default` exists).
 */
import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, parseLinkerConfig } from '../src/index.js';
import { get, listen, textBackend } from './http.js';

const kinds = createDefaultKinds();

interface Keys {
  readonly dstPrefix?: string;
  readonly bindingTimeoutMs?: number;
  readonly bindingCache?: string;
  readonly interpreter?: string;
}

describe('reload of the router keys that needed a restart', () => {
  let linker: Linker;
  let backends: Server[];
  let ports: number[];
  /** An API server that accepts connections and never answers: its names stay pending. */
  let silent: NetServer;
  const sockets: Socket[] = [];
  let silentPort: number;
  const text = (k: Keys) => `namers:
- {kind: io.l5d.k8s, host: 127.0.0.1, port: ${silentPort}}
routers:
- protocol: http
  servers: [{port: 0, ip: 127.0.0.1}]
  dtab: |
    /svc/web => /$/inet/127.0.0.1/${ports[0]};
    /svc/other => /$/inet/127.0.0.1/${ports[1]};
    /api/web => /$/inet/127.0.0.1/${ports[1]};
    /api/other => /$/inet/127.0.0.1/${ports[0]};
    /svc/hang => /#/io.l5d.k8s/default/http/hang;
    /api/hang => /#/io.l5d.k8s/default/http/hang;
${k.dstPrefix ? `  dstPrefix: ${k.dstPrefix}\n` : ''}${k.bindingTimeoutMs ? `  bindingTimeoutMs: ${k.bindingTimeoutMs}\n` : ''}${k.bindingCache ? `  bindingCache: ${k.bindingCache}\n` : ''}${k.interpreter ? `  interpreter: ${k.interpreter}\n` : ''}`;
  const reload = (k: Keys) => linker.reload(parseLinkerConfig(text(k), 'keys.yaml', kinds));
  const router = () => linker.routers[0]!;
  const ask = (host: string) => get(router().servers[0]!.port, { headers: { host } });

  beforeAll(async () => {
    const made = await Promise.all([textBackend('blue'), textBackend('green')]);
    backends = made.map((b) => b.server);
    ports = made.map((b) => b.port);
    silent = createNetServer((socket) => sockets.push(socket));
    silentPort = await listen(silent as unknown as Server);
    linker = await Linker.start(parseLinkerConfig(text({ bindingTimeoutMs: 10_000 }), 'keys.yaml', kinds), {
      kinds,
      baseDir: process.cwd(),
      noAdmin: true,
    });
  });

  afterAll(async () => {
    // The namer's list calls are still waiting: end them first (the client's close waits for them).
    for (const s of sockets) s.destroy();
    silent?.close();
    await linker?.close();
    for (const b of backends) b.close();
  });

  it('applies dstPrefix, bindingTimeoutMs, bindingCache and interpreter live, failing no request', async () => {
    // Each outcome: the status, or the error code.
    const statuses = new Map<string, number>();
    let running = true;
    const loop = (async () => {
      while (running) {
        const outcome = await ask('web').then(
          (r) => String(r.status),
          (e: NodeJS.ErrnoException) => e.code ?? e.message,
        );
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
      }
    })();
    expect((await ask('web')).body).toBe('blue');

    // dstPrefix: the identifiers name requests /api/<host> from the next request on.
    expect(await reload({ bindingTimeoutMs: 10_000, dstPrefix: '/api' })).toEqual({
      kind: 'applied',
      changes: ['routers[0].dstPrefix'],
    });
    expect((await ask('web')).body).toBe('green');
    expect((await ask('other')).body).toBe('blue');

    // bindingTimeoutMs: a name that never binds gives up after the new time (503).
    expect(await reload({ bindingTimeoutMs: 200, dstPrefix: '/api' })).toEqual({
      kind: 'applied',
      changes: ['routers[0].bindingTimeoutMs'],
    });
    const started = Date.now();
    expect((await ask('hang')).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(router().layers.find((l) => l.role === 'bind')?.description).toContain('bindingTimeoutMs 200');

    // bindingCache: a new cache holding one client; the old one (two clients) closes once idle.
    await ask('other');
    expect(router().clients()).toHaveLength(2);
    expect(await reload({ bindingTimeoutMs: 200, dstPrefix: '/api', bindingCache: '{clients: 1}' })).toEqual({
      kind: 'applied',
      changes: ['routers[0].bindingCache'],
    });
    expect(router().clients()).toHaveLength(0);
    expect((await ask('other')).body).toBe('blue');
    expect((await ask('web')).body).toBe('green');
    expect(router().clients()).toHaveLength(1);

    // interpreter: only the default one exists; naming it is a no-op, not a restart.
    expect(
      await reload({
        bindingTimeoutMs: 200,
        dstPrefix: '/api',
        bindingCache: '{clients: 1}',
        interpreter: '{kind: default}',
      }),
    ).toEqual({ kind: 'applied', changes: ['routers[0].interpreter'] });

    // Back to the start-up values: all at once.
    expect(await reload({ bindingTimeoutMs: 10_000 })).toEqual({
      kind: 'applied',
      changes: [
        'routers[0].dstPrefix',
        'routers[0].bindingTimeoutMs',
        'routers[0].bindingCache',
        'routers[0].interpreter',
      ],
    });
    expect((await ask('web')).body).toBe('blue');
    running = false;
    await loop;
    expect([...statuses.keys()]).toEqual(['200']);
    expect(statuses.get('200')).toBeGreaterThan(5);
  });
});
