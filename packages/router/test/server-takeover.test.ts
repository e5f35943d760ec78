/**
 * A server replaced on the same address (here: `maxHeadersKB` changed) takes the running
 * listener over: fresh connections opened in a tight loop across several reloads are all
 * answered (none refused or reset), and a request in flight on a connection from before
 * finishes on the old server.
 */
import http from 'node:http';
import { eventually, freePort } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';

const { backend, router } = fixtures(500);

/** One request on a fresh connection: its status, or the error code. */
function fresh(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(
      { port, host: '127.0.0.1', path: '/', agent: false, headers: { 'x-dst': 'web', connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('server takeover on reload', () => {
  it('never refuses a connection while maxHeadersKB changes on the same port', async () => {
    const held: http.ServerResponse[] = [];
    const b = await backend((req, res) => {
      req.resume();
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
    });
    const port = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port, maxHeadersKB: 8 }],
    });
    // A request in flight on a connection from before the first reload.
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path: '/hold', agent: false, headers: { 'x-dst': 'web' } }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });
    await eventually(() => held.length === 1, { timeoutMs: 10_000 });

    const outcomes = new Map<string, number>();
    let running = true;
    const loop = (async () => {
      while (running) {
        const outcome = await fresh(port);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    })();
    const replaced: string[] = [];
    const reload = async (i: number) => {
      const changes = await r.reconfigureServers([{ port, maxHeadersKB: i % 2 === 0 ? 16 : 8 }], {
        graceMs: 10_000,
      });
      replaced.push(...changes.replaced);
    };
    // The first reload drains the server holding the request: it finishes there once released.
    const first = reload(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held).toHaveLength(1);
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

    expect(replaced).toEqual(Array.from({ length: 6 }, () => `127.0.0.1:${port}`));
    expect([...outcomes.keys()]).toEqual(['200']);
    expect(outcomes.get('200')).toBeGreaterThan(6);
  });
});
