/**
 * A minimal TLS front door for the tests, built only on public Node APIs and the manager's public
 * functions: it peeks the ClientHello for SNI and ALPN, answers TLS-ALPN-01 with the challenge
 * certificate, serves the manager's certificates by exact name, and otherwise triggers on-demand
 * issuance and serves the default certificate. The real front door lives in `@switchyard/tls`.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import type { CertificateSnapshot } from '@switchyard/core';
import { ACME_TLS_ALPN_PROTOCOL, type AcmeManager } from '../src/index.js';

export interface Hello {
  readonly servername: string | undefined;
  readonly alpn: readonly string[];
}

/** Parses SNI (RFC 6066 §3) and ALPN (RFC 7301) from one ClientHello record; undefined if incomplete. */
export function parseHello(data: Buffer): Hello | undefined | 'invalid' {
  if (data.length < 5) return undefined;
  if (data[0] !== 22) return 'invalid';
  const len = data.readUInt16BE(3);
  if (data.length < 5 + len) return undefined;
  const h = data.subarray(5, 5 + len);
  let p = 4 + 2 + 32; // handshake header, version, random
  p += 1 + h[p]!; // session id
  p += 2 + h.readUInt16BE(p); // cipher suites
  p += 1 + h[p]!; // compression
  const end = p + 2 + h.readUInt16BE(p);
  p += 2;
  let servername: string | undefined;
  const alpn: string[] = [];
  while (p + 4 <= end) {
    const type = h.readUInt16BE(p);
    const size = h.readUInt16BE(p + 2);
    const ext = h.subarray(p + 4, p + 4 + size);
    if (type === 0 && ext.length > 5) servername = ext.subarray(5, 5 + ext.readUInt16BE(3)).toString('ascii');
    if (type === 16) {
      for (let q = 2; q < ext.length; q += 1 + ext[q]!)
        alpn.push(ext.subarray(q + 1, q + 1 + ext[q]!).toString('ascii'));
    }
    p += 4 + size;
  }
  return { servername, alpn };
}

export interface FrontDoor {
  readonly tlsPort: number;
  readonly httpPort: number;
  /** Server names seen and what was served: `challenge`, `acme`, or `default`. */
  readonly served: Array<{ servername: string | undefined; served: 'challenge' | 'acme' | 'default' }>;
  close(): Promise<void>;
}

/** Starts the HTTP (HTTP-01, else 404) and TLS front doors on ephemeral loopback ports. */
export async function startFrontDoor(
  defaultCert: { certPem: string; keyPem: string },
  getManager: () => AcmeManager | undefined,
): Promise<FrontDoor> {
  const defaultContext = createSecureContext({ cert: defaultCert.certPem, key: defaultCert.keyPem });
  const served: FrontDoor['served'] = [];
  const contexts = new Map<string, SecureContext>();
  let observed: AcmeManager | undefined;
  let dispose: (() => void) | undefined;
  const sync = () => {
    const m = getManager();
    if (m === observed) return;
    dispose?.();
    observed = m;
    dispose = m?.certificateSource.observe((snapshot: CertificateSnapshot) => {
      contexts.clear();
      for (const e of snapshot) {
        if (e.kind !== 'ok') continue;
        contexts.set(
          e.id.slice('acme '.length),
          createSecureContext({ cert: e.pair.certPem, key: e.pair.keyPem }),
        );
      }
    });
  };
  const http: HttpServer = createHttpServer((req, res) => {
    if (getManager()?.handleHttpChallenge(req, res)) return;
    res.writeHead(404).end('no route');
  });
  const sockets = new Set<Socket>();
  const tls: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const hello = parseHello(buffered);
      if (hello === undefined) return;
      socket.off('data', onData);
      socket.pause();
      if (hello === 'invalid') return void socket.destroy();
      sync();
      const manager = getManager();
      const name = hello.servername?.toLowerCase();
      let secureContext = defaultContext;
      let alpn: string[] | undefined;
      const challenge = name === undefined ? undefined : manager?.tlsAlpnChallenge(name, hello.alpn);
      if (challenge !== undefined) {
        secureContext = challenge.secureContext;
        alpn = [ACME_TLS_ALPN_PROTOCOL];
        served.push({ servername: name, served: 'challenge' });
      } else if (name !== undefined && contexts.has(name)) {
        secureContext = contexts.get(name)!;
        served.push({ servername: name, served: 'acme' });
      } else {
        if (name !== undefined) manager?.onDemand(name);
        served.push({ servername: name, served: 'default' });
      }
      socket.unshift(buffered);
      const tlsSocket = new TLSSocket(socket, {
        isServer: true,
        secureContext,
        ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
      });
      tlsSocket.on('error', () => {});
      tlsSocket.on('secure', () => {
        // A challenge connection carries no application data (RFC 8737 §3).
        if (alpn !== undefined) tlsSocket.end();
        else tlsSocket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      });
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  return {
    httpPort: (http.address() as { port: number }).port,
    tlsPort: (tls.address() as { port: number }).port,
    served,
    async close() {
      dispose?.();
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    },
  };
}
