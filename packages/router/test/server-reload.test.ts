/**
 * `Router.prepareServers`/`reconfigureServers` on real sockets: a reload adds, removes, changes
 * in place and replaces servers of a running router without failing a request in flight.
 */
import http from 'node:http';
import net from 'node:net';
import { Addr, address, createInterpreter } from '@switchyard/core';
import { eventually, freePort, httpRequest, rawExchange } from '@switchyard/testkit';
import { describe, expect, it } from 'vitest';
import { fixtures, testNamer } from './helpers.js';

const { backend, router } = fixtures(500);

/** A backend that holds each request until released. */
async function holdingBackend() {
  const held: http.ServerResponse[] = [];
  const b = await backend((req, res) => {
    req.resume();
    if (req.url === '/hold') held.push(res);
    else res.end(`ok ${req.headers['l5d-ctx-x'] ?? '-'}`);
  });
  const release = () => {
    for (const res of held.splice(0)) res.end('released');
  };
  return { b, held, release };
}

/** Resolves with whether a TCP connect succeeds. */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('server reload', () => {
  it('adds a server that listens at once, and drains a removed one like shutdown', async () => {
    const { b, held, release } = await holdingBackend();
    const first = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port: first }],
    });
    // A keep-alive connection with a request in flight on the server about to be removed.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const inflight = new Promise<{ status: number; connection: string | undefined; body: string }>(
      (resolve, reject) => {
        http
          .get(
            { port: first, host: '127.0.0.1', path: '/hold', agent, headers: { 'x-dst': 'web' } },
            (res) => {
              let body = '';
              res.on('data', (c) => {
                body += c;
              });
              res.on('end', () =>
                resolve({ status: res.statusCode!, connection: res.headers.connection, body }),
              );
            },
          )
          .on('error', reject);
      },
    );
    await eventually(() => held.length === 1, { timeoutMs: 10_000 });
    const second = await freePort();
    const changing = r.reconfigureServers([{ port: second }], { graceMs: 5000 });
    // The new server serves while the old one drains.
    await eventually(() => r.servers.some((s) => s.port === second), { timeoutMs: 10_000 });
    expect((await httpRequest(second, { headers: { 'x-dst': 'web' } })).body).toBe('ok -');
    expect(await connects(first)).toBe(false);
    release();
    const done = await inflight;
    expect(done).toEqual({ status: 200, connection: 'close', body: 'released' });
    expect(await changing).toEqual({
      added: [`127.0.0.1:${second}`],
      removed: [`127.0.0.1:${first}`],
      changedInPlace: [],
      replaced: [],
    });
    expect(r.servers.map((s) => s.port)).toEqual([second]);
    agent.destroy();
  });

  it('changes clearContext and limits in place on the same listener and connection', async () => {
    const { b } = await holdingBackend();
    const port = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port }],
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ body: string; socket: net.Socket }>((resolve, reject) => {
        const req = http.get(
          { port, host: '127.0.0.1', agent, headers: { 'x-dst': 'web', 'l5d-ctx-x': 'yes' } },
          (res) => {
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () => resolve({ body, socket: req.socket! }));
          },
        );
        req.on('error', reject);
      });
    const before = await get();
    expect(before.body).toBe('ok yes');
    const changes = await r.reconfigureServers([{ port, clearContext: true, maxRequestBodyBytes: 4 }]);
    expect(changes.changedInPlace).toEqual([`127.0.0.1:${port}`]);
    const after = await get();
    expect(after.body).toBe('ok -');
    expect(after.socket).toBe(before.socket);
    const big = await httpRequest(port, { method: 'POST', headers: { 'x-dst': 'web' }, body: 'too long' });
    expect(big.status).toBe(413);
    agent.destroy();
  });

  it('replaces a server whose maxHeadersKB changed on the same port', async () => {
    const { b } = await holdingBackend();
    const port = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port, maxHeadersKB: 1 }],
    });
    const head = `GET / HTTP/1.1\r\nhost: x\r\nx-dst: web\r\nconnection: close\r\nx-pad: ${'a'.repeat(2048)}\r\n\r\n`;
    expect((await rawExchange(port, head)).startsWith('HTTP/1.1 431')).toBe(true);
    const changes = await r.reconfigureServers([{ port, maxHeadersKB: 8 }]);
    expect(changes.replaced).toEqual([`127.0.0.1:${port}`]);
    const after = await rawExchange(port, head);
    expect(after.slice(0, 12)).toBe('HTTP/1.1 200');
  });

  it('changes nothing when a new port cannot be bound', async () => {
    const { b } = await holdingBackend();
    const port = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [{ port }],
    });
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as net.AddressInfo).port;
    const extra = await freePort();
    await expect(
      r.reconfigureServers([{ port, clearContext: true }, { port: extra }, { port: busy }]),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(r.servers.map((s) => [s.port, s.clearContext])).toEqual([[port, false]]);
    expect(await connects(extra)).toBe(false);
    taken.close();
  });

  it('a new interpreter rebinds names; in-flight requests finish on the old one', async () => {
    const one = await backend((_req, res) => res.end('one'));
    const two = await backend((_req, res) => res.end('two'));
    const a = testNamer();
    a.addr('web').update(Addr.bound([address('127.0.0.1', one.port)]));
    const { router: r, port } = await router('/svc => /#/test', {
      interpreter: createInterpreter({ namers: [a.entry] }),
    });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('one');
    const c = testNamer();
    c.addr('web').update(Addr.bound([address('127.0.0.1', two.port)]));
    r.reconfigure({ interpreter: createInterpreter({ namers: [c.entry] }), graceMs: 50 });
    expect((await httpRequest(port, { headers: { 'x-dst': 'web' } })).body).toBe('two');
  });
});
