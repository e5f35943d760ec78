/**
 * Every same-address server replacement is a takeover, door servers included: the router's one
 * acceptor per address hands each connection to the current server, whether it is a plain
 * `http.Server`, a TLS front door (`acceptConnection`) or an h2c plain door. A loop of fresh
 * connections across flips plain → TLS, TLS → plain, h2 on/off (TLS and h2c), an ALPN change
 * and `maxHeadersKB` on a TLS server gets every request answered (none refused or reset), and a
 * TLS keep-alive connection and an HTTP/2 session from before finish their in-flight request on
 * the old server.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { createTestPki, eventually, freePort, type TestPki } from '@switchyard/testkit';
import {
  createFrontDoorHttpServer,
  createPlainHttpServer,
  staticCertificateSource,
  TlsTerminator,
} from '@switchyard/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterServerOptions } from '../src/index.js';
import { fixtures } from './helpers.js';

const { cleanup, backend, router } = fixtures(500);

let pki: TestPki;
let terminator: TlsTerminator;
beforeAll(async () => {
  pki = await createTestPki();
  const leaf = await pki.leaf('router', { cn: 'router.test', dns: ['router.test'] });
  terminator = new TlsTerminator({
    certificates: [staticCertificateSource([{ id: 'router', certPem: leaf.certPem, keyPem: leaf.keyPem }])],
  });
  await terminator.ready();
}, 60_000);
afterAll(async () => {
  terminator?.close();
  await pki?.dispose();
});

/** Which kind of server took each connection, by the client's local port. */
const taken = new Map<number, 'plain' | 'tls'>();
/** Fresh connections that negotiated HTTP/2. */
let h2Count = 0;

type Kind =
  | { readonly kind: 'plain' }
  | { readonly kind: 'h2c' }
  | { readonly kind: 'tls'; readonly alpnProtocols: readonly string[] };

/** One server on `port` of the given kind; each call makes a new factory (a new server on reload). */
function server(port: number, kind: Kind, maxHeadersKB = 8): RouterServerOptions {
  const record = (socket: Socket, as: 'plain' | 'tls') => {
    if (socket.remotePort !== undefined) taken.set(socket.remotePort, as);
  };
  switch (kind.kind) {
    case 'plain':
      return {
        port,
        maxHeadersKB,
        createServer: (o) => http.createServer(o).on('connection', (s: Socket) => record(s, 'plain')),
      };
    case 'h2c':
      return {
        port,
        maxHeadersKB,
        createServer: (o) => {
          const door = createPlainHttpServer({ ...o, h2: {} });
          const accept = door.acceptConnection.bind(door);
          door.acceptConnection = (s) => {
            record(s, 'plain');
            accept(s);
          };
          return door;
        },
      };
    case 'tls':
      return {
        port,
        maxHeadersKB,
        createServer: (o) => {
          const h2 = kind.alpnProtocols.includes('h2') ? { h2: {} } : {};
          const door = createFrontDoorHttpServer(terminator, {
            ...o,
            alpnProtocols: kind.alpnProtocols,
            ...h2,
          });
          const accept = door.acceptConnection.bind(door);
          door.acceptConnection = (s) => {
            record(s, 'tls');
            accept(s);
          };
          return door;
        },
      };
  }
}

/**
 * One request on a fresh TCP connection, in the protocol of the server that took it (plain
 * HTTP/1.1, or TLS: HTTP/2 when `h2` asks for it and the server offers it, else HTTP/1.1): its
 * status, or the error code.
 */
function fresh(port: number, h2 = false): Promise<string> {
  return new Promise((resolve) => {
    const raw = net.connect({ port, host: '127.0.0.1' });
    const fail = (err: NodeJS.ErrnoException) => {
      raw.destroy();
      resolve(err.code ?? err.message);
    };
    raw.on('error', fail);
    raw.once('connect', async () => {
      const local = raw.localPort!;
      try {
        await eventually(() => taken.has(local), { timeoutMs: 5000, intervalMs: 1 });
      } catch {
        return resolve('never taken');
      }
      const kind = taken.get(local);
      taken.delete(local);
      const socket =
        kind === 'tls'
          ? tls.connect({
              socket: raw,
              servername: 'router.test',
              ca: pki.ca.certPem,
              ALPNProtocols: h2 ? ['h2', 'http/1.1'] : ['http/1.1'],
            })
          : raw;
      socket.on('error', fail);
      if (kind === 'tls' && h2) {
        await new Promise((resolve) => socket.once('secureConnect', resolve));
        const secured = socket as tls.TLSSocket;
        if (secured.alpnProtocol === 'h2') {
          socket.off('error', fail);
          h2Count++;
          return resolve(await h2Request(secured));
        }
      }
      let response = '';
      socket.on('data', (d) => {
        response += d;
      });
      socket.once('end', () => {
        resolve(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? `no response (${kind})`);
        socket.destroy();
      });
      const send = () => socket.write('GET / HTTP/1.1\r\nhost: x\r\nx-dst: web\r\nconnection: close\r\n\r\n');
      if (kind === 'tls' && !h2) socket.once('secureConnect', send);
      else send();
    });
  });
}

/** One HTTP/2 request on a secured socket: its status, or the error code. */
function h2Request(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect('https://router.test', { createConnection: () => socket });
    const done = (outcome: string) => {
      session.destroy();
      resolve(outcome);
    };
    session.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    const stream = session.request({ ':path': '/', 'x-dst': 'web' });
    let status = '';
    stream.on('response', (headers) => {
      status = String(headers[':status']);
    });
    stream.resume();
    stream.on('end', () => done(status === '' ? 'no response (h2)' : status));
    stream.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Reads HTTP/1.1 responses off a socket, one promise per response (bodies are short, no chunking). */
function responses(socket: tls.TLSSocket): () => Promise<{ status: number; headers: string; body: string }> {
  let buffered = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (d) => {
    buffered += d;
    waiting?.();
  });
  return async () => {
    for (;;) {
      const head = buffered.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(buffered.slice(0, head));
      if (head >= 0 && length !== null && buffered.length >= head + 4 + Number(length[1])) {
        const end = head + 4 + Number(length[1]);
        const headers = buffered.slice(0, head);
        const body = buffered.slice(head + 4, end);
        buffered = buffered.slice(end);
        return { status: Number(headers.slice(9, 12)), headers, body };
      }
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  };
}

describe('door server takeover on reload', () => {
  it('never refuses or resets a connection while the server flips between plain, TLS, h2 and ALPN settings', async () => {
    const held: http.ServerResponse[] = [];
    const b = await backend((req, res) => {
      req.resume();
      if (req.url === '/hold') held.push(res);
      else res.end('ok');
    });
    const port = await freePort();
    const { router: r } = await router(`/svc/web => /$/inet/127.0.0.1/${b.port}`, {
      servers: [server(port, { kind: 'tls', alpnProtocols: ['h2', 'http/1.1'] })],
    });

    // A TLS keep-alive connection (one request answered, the next in flight) and an HTTP/2
    // session with a request in flight, both opened before the first reload.
    const keepAlive = tls.connect({
      port,
      host: '127.0.0.1',
      servername: 'router.test',
      ca: pki.ca.certPem,
      ALPNProtocols: ['http/1.1'],
    });
    cleanup.push(async () => keepAlive.destroy());
    const next = responses(keepAlive);
    await new Promise((resolve) => keepAlive.once('secureConnect', resolve));
    keepAlive.write('GET /warm HTTP/1.1\r\nhost: x\r\nx-dst: web\r\n\r\n');
    expect(await next()).toMatchObject({ status: 200, body: 'ok' });
    keepAlive.write('GET /hold HTTP/1.1\r\nhost: x\r\nx-dst: web\r\n\r\n');
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      servername: 'router.test',
      ca: pki.ca.certPem,
    });
    session.on('error', () => {});
    cleanup.push(async () => session.destroy());
    const h2Answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': '/hold', 'x-dst': 'web' });
      let status = 0;
      let body = '';
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.on('data', (c) => {
        body += c;
      });
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
    });
    await eventually(() => held.length === 2, { timeoutMs: 10_000 });

    const outcomes = new Map<string, number>();
    let running = true;
    // Four clients at once, so that connections are being accepted and handshaken at each handover.
    const loop = Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        while (running) {
          // Half the clients speak HTTP/2 to a TLS server that offers it.
          const outcome = await fresh(port, i % 2 === 1);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }),
    );
    const replaced: string[] = [];
    const reload = async (options: RouterServerOptions) => {
      const changes = await r.reconfigureServers([options], { graceMs: 10_000 });
      replaced.push(...changes.replaced);
    };
    // h2 off (ALPN http/1.1 only): the old door drains, holding both requests until released.
    const first = reload(server(port, { kind: 'tls', alpnProtocols: ['http/1.1'] }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(held).toHaveLength(2);
    for (const res of held.splice(0)) res.end('released');
    const kept = await next();
    expect(kept).toMatchObject({ status: 200, body: 'released' });
    // The old server drains: the keep-alive connection closes after its response.
    expect(kept.headers).toMatch(/connection: close/i);
    expect(await h2Answer).toEqual({ status: 200, body: 'released' });
    await first;

    const flips: RouterServerOptions[] = [
      server(port, { kind: 'tls', alpnProtocols: ['http/1.1'] }, 16), // maxHeadersKB on TLS
      server(port, { kind: 'tls', alpnProtocols: ['h2', 'http/1.1'] }, 16), // h2 on, ALPN changed
      server(port, { kind: 'plain' }), // TLS → plain
      server(port, { kind: 'h2c' }), // h2c on
      server(port, { kind: 'plain' }, 16), // h2c off
      server(port, { kind: 'tls', alpnProtocols: ['h2', 'http/1.1'] }), // plain → TLS
      server(port, { kind: 'tls', alpnProtocols: ['http/1.1', 'h2'] }), // ALPN order: HTTP/1.1 first
    ];
    for (const options of flips) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await reload(options);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = false;
    await loop;

    expect(replaced).toEqual(Array.from({ length: 8 }, () => `127.0.0.1:${port}`));
    expect([...outcomes.keys()]).toEqual(['200']);
    expect(outcomes.get('200')).toBeGreaterThan(14);
    // Some fresh connections spoke HTTP/2 (while a TLS server offered h2 first).
    expect(h2Count).toBeGreaterThan(0);
  });
});
