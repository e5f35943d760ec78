/** Loopback TLS helpers for the tests: one-shot handshakes, HTTPS requests, event waits. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { type ConnectionOptions, connect, type PeerCertificate } from 'node:tls';
import { parseClientHello } from '../src/client-hello.js';

/** What a client saw in one handshake. */
export interface HandshakeResult {
  readonly fingerprint256: string;
  readonly cn: string | undefined;
  readonly alpn: string | false | null;
  readonly protocol: string | null;
}

/** Connects, completes a handshake, and closes. Rejects on any TLS error. */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...options }, () => {
      const peer: PeerCertificate = socket.getPeerCertificate();
      const result = {
        fingerprint256: peer.fingerprint256,
        cn: peer.subject?.CN as string | undefined,
        alpn: socket.alpnProtocol,
        protocol: socket.getProtocol(),
      };
      socket.end();
      resolve(result);
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', reject);
  });
}

/** Resolves with the first message on `name` that satisfies `accept`. */
export function nextMessage<T>(name: string, accept: (message: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!accept(message as T)) return;
      unsubscribe(name, onMessage);
      resolve(message as T);
    };
    subscribe(name, onMessage);
  });
}

/** Collects every message on `name` until `stop()`. */
export function collect<T>(name: string): { readonly messages: T[]; stop(): void } {
  const messages: T[] = [];
  const onMessage = (message: unknown) => messages.push(message as T);
  subscribe(name, onMessage);
  return { messages, stop: () => unsubscribe(name, onMessage) };
}

/**
 * The bytes a Node TLS client sends first (its ClientHello), captured by a throwaway TCP server,
 * so tests can replay a real ClientHello and then stall or misbehave.
 */
export function captureClientHello(options: ConnectionOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createNetServer((socket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (parseClientHello(data).kind === 'incomplete') return;
        socket.destroy();
        server.close();
        resolve(data);
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const client = connect({ host: '127.0.0.1', port, ...options });
      client.on('error', () => {});
    });
    server.on('error', reject);
  });
}

/** Resolves when `socket` closes, with the milliseconds it stayed open after this call. */
export function closedAfter(socket: Socket): Promise<number> {
  const start = performance.now();
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - start)));
}
