import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import { Agent, get } from 'node:https';
import { type AddressInfo, createConnection, createServer as createNetServer, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandshakeFailedEvent } from '../src/channels.js';
import { TLS_CHANNELS } from '../src/channels.js';
import { connectionHandler, TlsFrontDoor } from '../src/front-door.js';
import { createFrontDoorHttpServer, type FrontDoorHttpServer } from '../src/front-door-http-server.js';
import { staticCertificateSource } from '../src/source.js';
import { TlsTerminator } from '../src/terminator.js';
import type { TlsServerOptions } from '../src/tls-options.js';
import { captureClientHello, closedAfter, handshake, nextMessage } from './helpers.js';
import { recordingStats } from './stats.js';

let pki: TestPki;
let ecdsa: Issued;
let rsa: Issued;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  ecdsa = await pki.leaf('ecdsa', { cn: 'ecdsa.test', dns: ['ecdsa.test'], key: 'ec-pkcs8' });
  rsa = await pki.leaf('rsa', { cn: 'rsa.test', dns: ['rsa.test'], key: 'rsa-pkcs8' });
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await pki?.dispose();
});

const pairOf = (id: string, i: Issued) => ({ id, certPem: i.certPem, keyPem: i.keyPem });

/** A terminator serving ECDSA by default and RSA for rsa.test, behind an HTTP/1.1 front door. */
async function serve(
  options: Partial<TlsServerOptions> = {},
  http: Parameters<typeof createFrontDoorHttpServer>[1] = {},
  listener = (_req: unknown, res: { end(body: string): void }) => res.end('ok'),
): Promise<{ server: FrontDoorHttpServer; port: number; terminator: TlsTerminator }> {
  const terminator = new TlsTerminator({
    certificates: [staticCertificateSource([pairOf('ecdsa', ecdsa), pairOf('rsa', rsa)])],
    ...options,
  });
  await terminator.ready();
  const server = createFrontDoorHttpServer(terminator, http, listener as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () => terminator.close(),
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { server, port: (server.address() as AddressInfo).port, terminator };
}

const failure = (code: string) =>
  nextMessage<HandshakeFailedEvent>(TLS_CHANNELS.handshakeFailed, (e) => e.code === code);

describe('one tls.Server per certificate', () => {
  it.each([
    ['rsa.test', 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256', 'rsa'],
    ['ecdsa.test', 'rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256', 'ecdsa'],
    ['other.test', 'rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256', 'ecdsa'],
  ] as const)(
    '%s gets the %s-preferring client its own certificate (%s)',
    async (servername, sigalgs, which) => {
      const { port } = await serve();
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const r = await handshake(port, {
          ca: pki.ca.certPem,
          servername,
          sigalgs,
          maxVersion,
          checkServerIdentity: () => undefined,
        });
        expect(r.cn).toBe(`${which}.test`);
      }
    },
  );
});

describe('ClientHello peek', () => {
  it('closes a connection that sends nothing within handshakeTimeoutMs, and counts it', async () => {
    const stats = recordingStats();
    const { port } = await serve({ handshakeTimeoutMs: 300, stats });
    const reported = failure('SY_ERR_TLS_CLIENT_HELLO_TIMEOUT');
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const ms = await closedAfter(socket);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
    expect((await reported).message).toBe('tls: no complete ClientHello within 300 ms (got 0 bytes)');
    expect(stats.counters.get('tls/handshake_failures')).toBe(1);
  });

  it('cuts a client dripping a real ClientHello byte by byte at the deadline', async () => {
    const hello = await captureClientHello({ servername: 'rsa.test' });
    const { port } = await serve({ handshakeTimeoutMs: 400 });
    const reported = failure('SY_ERR_TLS_CLIENT_HELLO_TIMEOUT');
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed && sent < hello.length) socket.write(hello.subarray(sent, ++sent));
    }, 20);
    const ms = await closedAfter(socket);
    clearInterval(drip);
    expect(sent).toBeLessThan(hello.length);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(3000);
    expect((await reported).message).toMatch(
      /^tls: no complete ClientHello within 400 ms \(got \d+ bytes\)$/,
    );
  });

  it('closes plain HTTP on the TLS port at once, naming what it got', async () => {
    const { port } = await serve();
    const reported = failure('SY_ERR_TLS_BAD_CLIENT_HELLO');
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await closedAfter(socket)).toBeLessThan(2000);
    expect((await reported).message).toBe('tls: not a TLS handshake record (first byte 0x47)');
  });

  it('closes a ClientHello larger than maxClientHelloBytes before it is complete', async () => {
    const { port } = await serve({}, { maxClientHelloBytes: 1024 });
    const reported = failure('SY_ERR_TLS_BAD_CLIENT_HELLO');
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    // A handshake record of 16 KiB announcing a 60 000-byte ClientHello; only the first bytes are sent.
    socket.write(Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0xea, 0x60]));
    expect(await closedAfter(socket)).toBeLessThan(2000);
    expect((await reported).message).toBe('tls: ClientHello larger than 1024 bytes');
  });

  it("times out a handshake that stalls after its ClientHello (Node's handshakeTimeout)", async () => {
    const hello = await captureClientHello({ servername: 'rsa.test' });
    const { port } = await serve({ handshakeTimeoutMs: 300 });
    const reported = failure('ERR_TLS_HANDSHAKE_TIMEOUT');
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    let serverSpoke = false;
    socket.on('data', () => (serverSpoke = true));
    socket.write(hello);
    const ms = await closedAfter(socket);
    expect(serverSpoke).toBe(true); // the ServerHello: the ClientHello reached OpenSSL intact
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
    await reported;
  });

  it('refuses unknown names with unknownServerName: reject before any TLS byte is sent', async () => {
    const { port } = await serve({ unknownServerName: 'reject' });
    const reported = failure('SY_ERR_TLS_NO_CERTIFICATE');
    await expect(handshake(port, { ca: pki.ca.certPem, servername: 'nobody.test' })).rejects.toThrow();
    expect((await reported).message).toContain('"nobody.test"');
  });
});

describe('ALPN handlers', () => {
  it('dispatches h2 to an HTTP/2 server and http/1.1 to the HTTP server, on one port', async () => {
    const h2 = createHttp2Server((req, res) => res.end(`h2 ${req.httpVersion} ${req.headers[':authority']}`));
    const { port } = await serve(
      {},
      { alpnProtocols: ['h2', 'http/1.1'], alpnHandlers: { h2: connectionHandler(h2) } },
      (req, res) => {
        const r = req as { httpVersion: string; socket: TLSSocket };
        res.end(`h1 ${r.httpVersion} ${r.socket.alpnProtocol}`);
      },
    );
    const session = connectHttp2(`https://rsa.test:${port}`, {
      ca: pki.ca.certPem,
      servername: 'rsa.test',
      host: '127.0.0.1',
      lookup: (_host: string, _opts: unknown, cb: (e: null, a: string, f: number) => void) =>
        cb(null, '127.0.0.1', 4),
    } as never);
    cleanups.push(() => session.close());
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/' });
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (text += d));
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });
    expect(body).toBe(`h2 2.0 rsa.test:${port}`);
    const h1 = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, servername: 'rsa.test', ca: pki.ca.certPem, agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    // https.get offers no ALPN: such clients get the http/1.1 handler.
    expect(h1).toBe('h1 1.1 false');
    const offer = (ALPNProtocols: string[]) =>
      handshake(port, { ca: pki.ca.certPem, servername: 'rsa.test', ALPNProtocols }).then((r) => r.alpn);
    expect(await offer(['http/1.1', 'h2'])).toBe('h2'); // the server's preference order wins
    expect(await offer(['http/1.1'])).toBe('http/1.1');
    session.close();
  });

  it('serves clients without ALPN with http/1.1 and refuses clients sharing no protocol', async () => {
    const { port } = await serve();
    expect((await handshake(port, { ca: pki.ca.certPem, servername: 'rsa.test' })).alpn).toBe(false);
    const reported = failure('ERR_SSL_NO_APPLICATION_PROTOCOL');
    await expect(
      handshake(port, { ca: pki.ca.certPem, servername: 'rsa.test', ALPNProtocols: ['spdy/3'] }),
    ).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
    await reported;
  });

  it('refuses to offer a protocol it has no handler for', async () => {
    const terminator = new TlsTerminator({ certificates: [staticCertificateSource([pairOf('rsa', rsa)])] });
    cleanups.push(() => terminator.close());
    expect(() => new TlsFrontDoor(terminator, { handlers: {}, alpnProtocols: ['h2', 'http/1.1'] })).toThrow(
      expect.objectContaining({
        code: 'SY_ERR_TLS_INVALID_OPTIONS',
        message: 'tls.alpnProtocols: no handler for "h2" (handlers: none)',
      }),
    );
    expect(() => createFrontDoorHttpServer(terminator, { alpnProtocols: [] })).toThrow(
      expect.objectContaining({ code: 'SY_ERR_TLS_INVALID_OPTIONS' }),
    );
  });
});

describe('TlsFrontDoor', () => {
  it('serves sockets handed to accept() by another listener; close waits for them', async () => {
    const terminator = new TlsTerminator({ certificates: [staticCertificateSource([pairOf('rsa', rsa)])] });
    cleanups.push(() => terminator.close());
    let onSecured: (socket: TLSSocket) => void = () => {};
    const secured = new Promise<TLSSocket>((resolve) => (onSecured = resolve));
    const door = new TlsFrontDoor(terminator, { handlers: { 'http/1.1': (s) => onSecured(s) } });
    const other = createNetServer((socket) => door.accept(socket));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    const client = connectTls({ host: '127.0.0.1', port, servername: 'rsa.test', ca: pki.ca.certPem });
    client.on('error', () => {});
    cleanups.push(() => client.destroy());
    const serverSide = await secured;
    other.close();
    // The front door listens too; its own listener has no connections to wait for.
    expect((await door.listen({ port: 0 })).port).toBeGreaterThan(0);
    let closed = false;
    const closing = door.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false); // the handed-over connection is still open
    serverSide.destroy();
    await closing;
    expect(closed).toBe(true);
  });
});

describe('the HTTP server behind the front door', () => {
  it("enforces Node's headersTimeout on TLS connections (408 to a slow request head)", async () => {
    const { port } = await serve(
      {},
      { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 },
    );
    const socket = connectTls({ host: '127.0.0.1', port, servername: 'rsa.test', ca: pki.ca.certPem });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: rsa.test\r\n'); // the head never ends
    let response = '';
    socket.on('data', (d) => (response += d));
    const ms = await closedAfter(socket);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(3000);
  });

  it('reports listening and address for the front door, and close waits for open connections', async () => {
    const { server, port } = await serve();
    expect(server.listening).toBe(true);
    expect(server.frontDoor.address()?.port).toBe(port);
    const connected: TLSSocket[] = [];
    server.on('connection', (s: TLSSocket) => connected.push(s));
    // One idle keep-alive HTTPS connection, one TCP connection still owing its ClientHello.
    const tlsClient = connectTls({ host: '127.0.0.1', port, servername: 'rsa.test', ca: pki.ca.certPem });
    tlsClient.on('error', () => {});
    await new Promise((resolve) => tlsClient.once('secureConnect', resolve));
    tlsClient.write('GET / HTTP/1.1\r\nHost: rsa.test\r\n\r\n');
    await new Promise((resolve) => tlsClient.once('data', resolve));
    const silent = createConnection({ host: '127.0.0.1', port });
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    expect(connected.map((s) => s.encrypted)).toEqual([true]);

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    expect(server.listening).toBe(false);
    await Promise.all([closed, closedAfter(tlsClient), closedAfter(silent)]);
  });

  it('closeAllConnections cuts handshakes in progress too', async () => {
    const hello = await captureClientHello({ servername: 'rsa.test' });
    const { server, port } = await serve();
    const socket: Socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const spoke = new Promise((resolve) => socket.once('data', resolve));
    socket.write(hello);
    await spoke; // the handshake is under way in the certificate's tls.Server
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    expect(await closedAfter(socket)).toBeLessThan(2000);
    await done;
  });

  it('turns a TLS error after the handshake into a socket error that closes the connection', async () => {
    const { server, port } = await serve();
    const accepted = new Promise<TLSSocket>((resolve) => server.once('connection', resolve));
    const raw = createConnection({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    const secure = connectTls({ socket: raw, ca: pki.ca.certPem, servername: 'rsa.test' });
    secure.on('error', () => {});
    const serverSocket = await accepted;
    const serverSocketError = new Promise<Error>((resolve) => serverSocket.once('error', resolve));
    const serverSocketClosed = new Promise<void>((resolve) => serverSocket.once('close', () => resolve()));
    // A forged application-data record: the server cannot decrypt it.
    raw.write(Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x40]), Buffer.alloc(0x40, 7)]));
    expect((await serverSocketError).message).toMatch(/decrypt|bad record mac|wrong version|SSL/i);
    await Promise.all([serverSocketClosed, closed]);
  }, 20_000);
});

describe('setTerminator (a changed TLS block, swapped in place)', () => {
  it('keeps a keep-alive connection opened before the swap; new connections get the new certificate', async () => {
    const { server, port } = await serve();
    const other = await pki.leaf('other', { cn: 'other.test', dns: ['ecdsa.test'], key: 'ec-pkcs8' });
    const next = new TlsTerminator({ certificates: [staticCertificateSource([pairOf('other', other)])] });
    await next.ready();
    cleanups.push(() => next.close());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    /** One request on the agent: the body, the certificate's CN and the socket it came on. */
    const request = (via: Agent | false) =>
      new Promise<{ body: string; cn: string; socket: TLSSocket }>((resolve, reject) => {
        const req = get(
          { host: '127.0.0.1', port, servername: 'ecdsa.test', ca: pki.ca.certPem, agent: via },
          (res) => {
            const socket = res.socket as TLSSocket;
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () =>
              resolve({ body, cn: String(socket.getPeerCertificate().subject.CN), socket }),
            );
          },
        );
        req.on('error', reject);
      });
    const before = await request(agent);
    expect([before.body, before.cn]).toEqual(['ok', 'ecdsa.test']);
    server.setTerminator(next);
    expect(server.frontDoor.terminator).toBe(next);
    // The connection opened before the swap keeps serving requests, with its certificate.
    const again = await request(agent);
    expect(again.socket).toBe(before.socket);
    expect([again.body, again.cn]).toEqual(['ok', 'ecdsa.test']);
    // A new connection is answered by the new terminator.
    const fresh = await request(false);
    expect(fresh.socket).not.toBe(before.socket);
    expect([fresh.body, fresh.cn]).toEqual(['ok', 'other.test']);
    expect((await handshake(port, { servername: 'ecdsa.test', ca: pki.ca.certPem })).cn).toBe('other.test');
  });
});
