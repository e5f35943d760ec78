/**
 * HTTP/2 over TLS through the public-API front door: ALPN picks `h2` or `http/1.1` per connection
 * (h2 offered by default once an h2 server is given), with Debian curl and Node's http2 client.
 */
import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { createMetricsRegistry } from '@switchyard/core';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectionHandler, TlsFrontDoor } from '../src/front-door.js';
import { H2Server } from '../src/h2-server.js';
import { staticCertificateSource } from '../src/source.js';
import { TlsTerminator } from '../src/terminator.js';
import { errorCode, FRAME, readFrames } from './h2-frames.js';

const run = promisify(execFile);
let pki: TestPki;
let leaf: Issued;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  leaf = await pki.leaf('h2', { cn: 'h2.test', dns: ['h2.test'] });
}, 60_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await pki?.dispose();
});

async function serve(alpnProtocols?: readonly string[]) {
  const stats = createMetricsRegistry();
  const terminator = new TlsTerminator({
    certificates: [staticCertificateSource([{ id: 'h2', certPem: leaf.certPem, keyPem: leaf.keyPem }])],
    ...(alpnProtocols === undefined ? {} : { alpnProtocols }),
  });
  await terminator.ready();
  const h2 = new H2Server({
    stats,
    onStream: (stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(`h2 ${headers[':path']}`);
    },
  });
  const http1 = createHttpServer((req, res) => res.end(`h1 ${req.url}`));
  const door = new TlsFrontDoor(terminator, {
    handlers: { 'http/1.1': connectionHandler(http1), h2: h2.alpnHandler },
  });
  const { port } = await door.listen({ port: 0 });
  cleanups.push(
    () => terminator.close(),
    () => door.close(),
    () => {
      h2.destroyConnections();
      door.destroyConnections();
    },
  );
  return { port, door, stats };
}

const curl = (port: number, ...args: string[]) =>
  run('curl', [
    '-sS',
    '--cacert',
    pki.ca.certPath,
    '--resolve',
    `h2.test:${port}:127.0.0.1`,
    '-w',
    ' %{http_version}',
    ...args,
    `https://h2.test:${port}/p`,
  ]).then((r) => r.stdout);

describe('ALPN h2 / http/1.1 on the TLS front door', () => {
  it('offers h2 first by default when an h2 server is given: curl --http2 gets HTTP/2, --http1.1 gets HTTP/1.1', async () => {
    const { port, door } = await serve();
    expect(door.alpnProtocols).toEqual(['h2', 'http/1.1']);
    expect(await curl(port, '--http2')).toBe('h2 /p 2');
    expect(await curl(port, '--http1.1')).toBe('h1 /p 1.1');
  });

  it('a configured list is honoured: alpnProtocols [http/1.1] keeps HTTP/2 off', async () => {
    const { port, door } = await serve(['http/1.1']);
    expect(door.alpnProtocols).toEqual(['http/1.1']);
    expect(await curl(port, '--http2')).toBe('h1 /p 1.1');
  });

  it("Node's http2 client over TLS", async () => {
    const { port } = await serve();
    const s = connectHttp2(`https://h2.test:${port}`, {
      ca: pki.ca.certPem,
      host: '127.0.0.1',
      servername: 'h2.test',
    });
    cleanups.push(() => s.destroy());
    const body = await new Promise<string>((resolve, reject) => {
      const req = s.request({ ':path': '/node' });
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        b += d;
      });
      req.on('end', () => resolve(b));
      req.on('error', reject);
    });
    expect(body).toBe('h2 /node');
  });

  it('a client that negotiates h2 but speaks HTTP/1.1 gets GOAWAY(PROTOCOL_ERROR), counted', async () => {
    const { port, stats } = await serve();
    const data = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connectTls(
        { port, host: '127.0.0.1', servername: 'h2.test', ca: pki.ca.certPem, ALPNProtocols: ['h2'] },
        () => {
          expect(socket.alpnProtocol).toBe('h2');
          socket.write('GET / HTTP/1.1\r\nHost: h2.test\r\n\r\n');
        },
      );
      socket.on('data', (d) => chunks.push(d));
      socket.on('error', () => {});
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    });
    const goaway = readFrames(data).find((f) => f.type === FRAME.GOAWAY);
    expect(goaway && errorCode(goaway)).toBe(1);
    expect(stats.snapshot().find((m) => m.name.join('/') === 'h2/bad_preface')).toMatchObject({ value: 1 });
  });
});
