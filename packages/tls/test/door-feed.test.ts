/**
 * Door servers fed by another listener (`DoorHttpServer.acceptConnection`), as a router's
 * acceptor feeds them: the server never listens, yet serves HTTPS, HTTP/2 by ALPN and h2c,
 * enforces Node's header timeout, and on `close()` lets a connection handed in a moment before
 * finish its handshake and request instead of resetting it.
 */
import { request as httpRequest } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import {
  type AddressInfo,
  createConnection,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DoorHttpServer } from '../src/door-http-server.js';
import { createFrontDoorHttpServer } from '../src/front-door-http-server.js';
import { createPlainHttpServer } from '../src/plain-door-http-server.js';
import { staticCertificateSource } from '../src/source.js';
import { TlsTerminator } from '../src/terminator.js';
import { closedAfter } from './helpers.js';

let pki: TestPki;
let leaf: Issued;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  leaf = await pki.leaf('door', { cn: 'door.test', dns: ['door.test'], key: 'ec-pkcs8' });
}, 60_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await pki?.dispose();
});

const answer = (req: { url?: string }, res: { end(body: string): void }) => res.end(`ok ${req.url}`);

async function terminator(): Promise<TlsTerminator> {
  const t = new TlsTerminator({
    certificates: [staticCertificateSource([{ id: 'door', certPem: leaf.certPem, keyPem: leaf.keyPem }])],
  });
  await t.ready();
  cleanups.push(() => t.close());
  return t;
}

/** A listener that hands every socket to `target()` (read per connection, as a router's acceptor). */
async function feeder(target: () => DoorHttpServer): Promise<{ acceptor: NetServer; port: number }> {
  const acceptor = createNetServer({ allowHalfOpen: true }, (socket) => target().acceptConnection(socket));
  await new Promise<void>((resolve) => acceptor.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => acceptor.close(() => resolve())));
  return { acceptor, port: (acceptor.address() as AddressInfo).port };
}

function closeServer(server: DoorHttpServer): Promise<Error | undefined> {
  return new Promise((resolve) => server.close((err) => resolve(err)));
}

function httpsGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, servername: 'door.test', ca: pki.ca.certPem, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a TLS door server fed by another listener', () => {
  it('serves HTTPS and HTTP/2 without listening; address() is null and close() succeeds', async () => {
    const server = createFrontDoorHttpServer(await terminator(), { h2: {} }, answer as never);
    const { port } = await feeder(() => server);
    expect(await httpsGet(port, '/one')).toEqual({ status: 200, body: 'ok /one' });
    const session = connectHttp2(`https://127.0.0.1:${port}`, {
      servername: 'door.test',
      ca: pki.ca.certPem,
    });
    session.on('error', () => {});
    const h2Body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':path': '/two' });
      let body = '';
      stream.on('data', (c) => {
        body += c;
      });
      stream.on('end', () => resolve(body));
      stream.on('error', reject);
    });
    expect(h2Body).toBe('ok /two');
    expect(server.address()).toBeNull();
    expect(server.listening).toBe(false);
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    // GOAWAY to the idle session; the callback waits for it to close and reports no error.
    expect(await closeServer(server)).toBeUndefined();
    await sessionClosed;
  });

  it("starts Node's header timeout sweep on the first socket (408 to a slow head)", async () => {
    const server = createFrontDoorHttpServer(
      await terminator(),
      { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 },
      answer as never,
    );
    cleanups.push(() => {
      server.closeAllConnections();
      return closeServer(server);
    });
    const { port } = await feeder(() => server);
    const socket = connectTls({ host: '127.0.0.1', port, servername: 'door.test', ca: pki.ca.certPem });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: door.test\r\n'); // the head never ends
    let response = '';
    socket.on('data', (d) => {
      response += d;
    });
    expect(await closedAfter(socket)).toBeLessThan(3000);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('close() lets a handed-in connection still owing its ClientHello finish; later sockets are closed', async () => {
    const server = createFrontDoorHttpServer(await terminator(), {}, answer as never);
    const { port } = await feeder(() => server);
    // A TCP connection handed in before close(), whose TLS client starts only afterwards.
    const raw: Socket = createConnection({ host: '127.0.0.1', port });
    raw.on('error', () => {});
    await new Promise((resolve) => raw.once('connect', resolve));
    // Wait until the door has the socket (the feeder handed it over on accept).
    await new Promise((resolve) => setTimeout(resolve, 50));
    let closeErr: Error | undefined | null = null;
    const closed = closeServer(server).then((err) => {
      closeErr = err;
    });
    const tlsClient = connectTls({ socket: raw, servername: 'door.test', ca: pki.ca.certPem });
    tlsClient.on('error', () => {});
    await new Promise((resolve) => tlsClient.once('secureConnect', resolve));
    tlsClient.write('GET /late HTTP/1.1\r\nHost: door.test\r\nConnection: close\r\n\r\n');
    let response = '';
    tlsClient.on('data', (d) => {
      response += d;
    });
    await closedAfter(tlsClient);
    expect(response).toMatch(/^HTTP\/1\.1 200 [\s\S]*ok \/late$/);
    await closed;
    expect(closeErr).toBeUndefined();
    // The door is closed: a socket handed in now is closed at once.
    const after = createConnection({ host: '127.0.0.1', port });
    after.on('error', () => {});
    expect(await closedAfter(after)).toBeLessThan(2000);
  });

  it('close() lets a handed-in connection that turns out HTTP/2 have its first request answered, then GOAWAY', async () => {
    const server = createFrontDoorHttpServer(await terminator(), { h2: {} }, answer as never);
    const { port } = await feeder(() => server);
    const raw: Socket = createConnection({ host: '127.0.0.1', port });
    raw.on('error', () => {});
    await new Promise((resolve) => raw.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = closeServer(server);
    // The TLS handshake (ALPN h2) and the HTTP/2 preface both come after close().
    const session = connectHttp2(`https://door.test:${port}`, {
      createConnection: () =>
        connectTls({ socket: raw, servername: 'door.test', ca: pki.ca.certPem, ALPNProtocols: ['h2'] }),
    });
    session.on('error', () => {});
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':path': '/late-h2' });
      let text = '';
      stream.on('data', (c) => {
        text += c;
      });
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });
    expect(body).toBe('ok /late-h2');
    await goaway;
    session.close();
    expect(await closed).toBeUndefined();
  });

  it('close() reports ERR_SERVER_NOT_RUNNING when the server was never listening nor fed', async () => {
    const server = createFrontDoorHttpServer(await terminator(), {}, answer as never);
    expect(await closeServer(server)).toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING' });
  });
});

describe('a plain (h2c) door server fed by another listener', () => {
  it('serves HTTP/1.1 and h2c; close() waits for handed-in connections', async () => {
    const server = createPlainHttpServer({ h2: {} }, answer as never);
    const { port } = await feeder(() => server);
    const http1 = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/h1', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(http1).toBe('ok /h1');
    // An open keep-alive HTTP/1.1 connection that has not sent its request yet.
    const idle = createConnection({ host: '127.0.0.1', port });
    idle.on('error', () => {});
    await new Promise((resolve) => idle.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    let done = false;
    const closed = closeServer(server).then((err) => {
      done = true;
      return err;
    });
    // Still detecting its protocol when close() was called: served, not cut.
    idle.write('GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    let response = '';
    idle.on('data', (d) => {
      response += d;
    });
    await closedAfter(idle);
    expect(response).toMatch(/^HTTP\/1\.1 200 [\s\S]*ok \/after$/);
    expect(await closed).toBeUndefined();
    expect(done).toBe(true);
  });

  it('a door that listens itself still closes its own connection owing its first bytes on close()', async () => {
    const server = createPlainHttpServer({ h2: {} }, answer as never);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const silent = createConnection({ host: '127.0.0.1', port });
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = closeServer(server);
    expect(await closedAfter(silent)).toBeLessThan(2000);
    expect(await closed).toBeUndefined();
  });
});
