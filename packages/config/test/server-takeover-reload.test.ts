/**
 * The plain-HTTP takeover through `Linker.reload` (issue 16 item 3): the config file on disk
 * changes `maxHeadersKB` back and forth (the server is replaced on the same ip and port), read
 * with `readLinkerConfig` and reloaded while fresh connections arrive in a loop. None is refused
 * or reset, and a request in flight on a connection from before finishes on the old server.
 * The router-level twin is `router/test/server-takeover.test.ts`.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultKinds, Linker, readLinkerConfig } from '../src/index.js';
import { holdingBackend, listen } from './http.js';

const kinds = createDefaultKinds();

/** One request on a fresh connection: its status, or the error code. */
function fresh(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/', agent: false, headers: { host: 'web', connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('Linker.reload: a plain HTTP server replaced on the same port', () => {
  let dir: string;
  let file: string;
  let linker: Linker;
  const held: ServerResponse[] = [];
  const backend = holdingBackend('web', held);
  let port: number;
  let backendPort: number;
  const text = (maxHeadersKB: number) => `routers:
- protocol: http
  dtab: /svc/web => /$/inet/127.0.0.1/${backendPort}
  maxHeadersKB: ${maxHeadersKB}
  servers:
  - {port: ${port}, ip: 127.0.0.1}
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-takeover-reload-'));
    file = join(dir, 'linker.yaml');
    [backendPort, port] = await Promise.all([listen(backend), freePort()]);
    await writeFile(file, text(8));
    linker = await Linker.start(await readLinkerConfig(file, kinds), { kinds, baseDir: dir, noAdmin: true });
  });

  afterAll(async () => {
    for (const res of held.splice(0)) res.end();
    await linker?.close();
    backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses and resets no connection across six maxHeadersKB flips', async () => {
    // A request in flight on a connection from before the first reload.
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/hold', agent: false, headers: { host: 'web' } }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
        .on('error', reject)
        .end();
    });
    await eventually(() => held.length === 1, { timeoutMs: 10_000, what: 'the held request at the backend' });

    const outcomes = new Map<string, number>();
    let running = true;
    const loop = (async () => {
      while (running) {
        const outcome = await fresh(port);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    })();
    const results: unknown[] = [];
    const reload = async (i: number) => {
      await writeFile(file, text(i % 2 === 0 ? 16 : 8));
      results.push(await linker.reload(await readLinkerConfig(file, kinds)));
    };
    // The first reload drains the server holding the request; it finishes there once released.
    const first = reload(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const res of held.splice(0)) res.end('released');
    expect(await inflight).toEqual({ status: 200, body: 'released' });
    await first;
    for (let i = 1; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await reload(i);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    running = false;
    await loop;

    expect(results).toEqual(
      Array.from({ length: 6 }, () => ({ kind: 'applied', changes: ['routers[0].servers'] })),
    );
    expect([...outcomes.keys()]).toEqual(['200']);
    expect(outcomes.get('200')).toBeGreaterThan(6);
  });
});
