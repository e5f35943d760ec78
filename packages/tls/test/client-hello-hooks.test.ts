/**
 * The front door's ClientHello hooks (what ACME plugs into): a challenge certificate answers a
 * TLS-ALPN-01 hello with exactly its protocol and no application data; names no certificate
 * holds are reported for on-demand issuance without holding up the handshake; a faulty hook
 * fails only its own connection.
 */
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { createTestPki, type Issued, type TestPki } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientHelloHooks, connectionHandler, TlsFrontDoor } from '../src/front-door.js';
import { staticCertificateSource } from '../src/source.js';
import { TlsTerminator } from '../src/terminator.js';
import { handshake } from './helpers.js';

let pki: TestPki;
let served: Issued;
let challenge: Issued;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  served = await pki.leaf('served', { cn: 'served.test', dns: ['served.test'] });
  challenge = await pki.leaf('challenge', { cn: 'new.test', dns: ['new.test'] });
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await pki?.dispose();
});

async function frontDoor(hooks: ClientHelloHooks, unknownServerName?: 'reject'): Promise<number> {
  const terminator = new TlsTerminator({
    certificates: [
      staticCertificateSource([{ id: 'served', certPem: served.certPem, keyPem: served.keyPem }]),
    ],
    ...(unknownServerName ? { unknownServerName } : {}),
  });
  await terminator.ready();
  const door = new TlsFrontDoor(terminator, {
    hooks,
    handlers: { 'http/1.1': connectionHandler({ emit: (_e, socket) => Boolean(socket.end('hello')) }) },
  });
  const { port } = (await door.listen({ port: 0 })) as AddressInfo;
  cleanups.push(
    () => terminator.close(),
    () => {
      door.destroyConnections();
      return door.close();
    },
  );
  return port;
}

/** Handshakes and reads until the server closes: the ALPN, certificate CN and the data received. */
function session(port: number, servername: string, ALPNProtocols: string[]) {
  return new Promise<{ alpn: string | false | null; cn: unknown; data: string }>((resolve, reject) => {
    let data = '';
    const socket = connect({ host: '127.0.0.1', port, servername, ALPNProtocols, ca: pki.ca.certPem });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      resolve({ alpn: socket.alpnProtocol, cn: socket.getPeerCertificate().subject?.CN, data });
      socket.end();
    });
  });
}

describe('front door ClientHello hooks', () => {
  it('answers a TLS-ALPN-01 hello with the challenge certificate and protocol, then closes without data', async () => {
    const asked: string[] = [];
    const port = await frontDoor({
      challenge: (name, alpn) => {
        asked.push(`${name} ${alpn.join(',')}`);
        return name === 'new.test' && alpn.includes('acme-tls/1')
          ? { certPem: challenge.certPem, keyPem: challenge.keyPem, protocol: 'acme-tls/1' }
          : undefined;
      },
    });
    expect(await session(port, 'new.test', ['acme-tls/1'])).toEqual({
      alpn: 'acme-tls/1',
      cn: 'new.test',
      data: '',
    });
    // Not a challenge: the SNI choice and the normal handler.
    expect(await session(port, 'served.test', ['http/1.1'])).toEqual({
      alpn: 'http/1.1',
      cn: 'served.test',
      data: 'hello',
    });
    expect(asked).toEqual(['new.test acme-tls/1', 'served.test http/1.1']);
  });

  it('reports names without a certificate, and only those, while they get the default certificate', async () => {
    const unknown: string[] = [];
    const port = await frontDoor({ unknownServerName: (name) => unknown.push(name) });
    expect((await handshake(port, { servername: 'served.test', ca: pki.ca.certPem })).cn).toBe('served.test');
    const other = await handshake(port, {
      servername: 'other.test',
      ca: pki.ca.certPem,
      rejectUnauthorized: false,
    });
    expect(other.cn).toBe('served.test');
    expect(unknown).toEqual(['other.test']);
  });

  it('reports unknown names when such handshakes are rejected too', async () => {
    const unknown: string[] = [];
    const port = await frontDoor({ unknownServerName: (name) => unknown.push(name) }, 'reject');
    await expect(handshake(port, { servername: 'other.test', ca: pki.ca.certPem })).rejects.toThrow();
    expect(unknown).toEqual(['other.test']);
  });

  it('a hook that throws fails only its own connection', async () => {
    const port = await frontDoor({
      challenge: (name) => {
        if (name === 'boom.test') throw new Error('boom');
        return undefined;
      },
      unknownServerName: () => {
        throw new Error('also boom');
      },
    });
    await expect(handshake(port, { servername: 'boom.test', ca: pki.ca.certPem })).rejects.toThrow();
    expect((await handshake(port, { servername: 'served.test', ca: pki.ca.certPem })).cn).toBe('served.test');
    expect(
      (await handshake(port, { servername: 'x.test', ca: pki.ca.certPem, rejectUnauthorized: false })).cn,
    ).toBe('served.test');
  });
});
