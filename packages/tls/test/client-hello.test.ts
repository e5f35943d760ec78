import { createServer, type Server } from 'node:net';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientHello } from '../src/client-hello.js';

let server: Server;
let port: number;
let captured: ((data: Buffer) => void) | undefined;

beforeAll(async () => {
  // A TCP server that records the first bytes a TLS client sends, then hangs up.
  server = createServer((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (parseClientHello(data).kind !== 'incomplete') {
        captured?.(data);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function clientHello(servername: string | undefined, ALPNProtocols?: string[]): Promise<Buffer> {
  return new Promise((resolve) => {
    captured = resolve;
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(servername === undefined ? {} : { servername }),
      ...(ALPNProtocols === undefined ? {} : { ALPNProtocols }),
    });
    socket.on('error', () => {});
  });
}

describe('parseClientHello', () => {
  it('reads the SNI name from a real ClientHello', async () => {
    const hello = await clientHello('api.example.com');
    expect(parseClientHello(hello)).toEqual({
      kind: 'complete',
      servername: 'api.example.com',
      alpnProtocols: undefined,
    });
  });

  it('reads the ALPN offer from a real ClientHello', async () => {
    const hello = await clientHello('h2.example.com', ['h2', 'http/1.1']);
    expect(parseClientHello(hello)).toEqual({
      kind: 'complete',
      servername: 'h2.example.com',
      alpnProtocols: ['h2', 'http/1.1'],
    });
  });

  it('reports no name when the client sends no SNI', async () => {
    const hello = await clientHello(undefined);
    expect(parseClientHello(hello)).toMatchObject({ kind: 'complete', servername: undefined });
  });

  it('asks for more bytes on every proper prefix', async () => {
    const hello = await clientHello('a.test');
    for (const cut of [0, 1, 4, 5, 9, 40, hello.length - 1]) {
      expect(parseClientHello(hello.subarray(0, cut)).kind).toBe('incomplete');
    }
  });

  it('reassembles a ClientHello split across handshake records', async () => {
    const hello = await clientHello('split.example.com');
    const body = hello.subarray(5);
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([22, 3, 1, part.length >> 8, part.length & 255]), part]);
    const split = Buffer.concat([record(body.subarray(0, 30)), record(body.subarray(30))]);
    expect(parseClientHello(split)).toMatchObject({ kind: 'complete', servername: 'split.example.com' });
  });

  it('rejects bytes that are not a TLS handshake', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual({
      kind: 'invalid',
      reason: 'not a TLS handshake record (first byte 0x47)',
    });
    expect(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0]))).toEqual({
      kind: 'invalid',
      reason: 'handshake type 2 is not a ClientHello',
    });
  });
});
