/**
 * Backends the suite routes to: node:http servers on ephemeral loopback ports that answer with
 * their name, count every byte their sockets receive (so a request that must never arrive is
 * seen even if it is not valid HTTP), and can crash abruptly.
 *
 * Paths: `/download?bytes=N` streams N bytes; `/slow?ms=N` answers after N ms; anything else
 * drains the request body and answers `<name> <body bytes>\n`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running backend. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  /** `127.0.0.1 <port>`: its line in an io.l5d.fs file. */
  readonly fsLine: string;
  /** Requests whose head arrived. */
  readonly requests: number;
  /** Bytes received on all sockets since the last `resetBytes()`. */
  readonly bytes: number;
  /** Request heads recorded while `recordHeaders` is on. */
  readonly heads: readonly { readonly url: string; readonly headers: IncomingHttpHeaders }[];
  resetBytes(): void;
  /** Abrupt failure: every socket destroyed, the port closed. */
  crash(): void;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Starts a backend named `name` on 127.0.0.1:0. */
export async function startBackend(
  name: string,
  options: { readonly recordHeaders?: boolean } = {},
): Promise<Backend> {
  let requests = 0;
  let bytes = 0;
  const heads: { url: string; headers: IncomingHttpHeaders }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests++;
    if (options.recordHeaders && heads.length < 10_000)
      heads.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://backend');
    // Linkerd-style response context: clearContext must strip it before the client sees it.
    res.setHeader('l5d-backend-secret', name);
    if (url.pathname === '/download') {
      req.resume();
      streamBytes(res, Number(url.searchParams.get('bytes') ?? 0));
      return;
    }
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => {
      const answer = () => {
        const body = `${name} ${received}\n`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      const delay = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? 0) : 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
    req.on('error', () => undefined);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    name,
    port,
    fsLine: `127.0.0.1 ${port}`,
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes;
    },
    heads,
    resetBytes() {
      bytes = 0;
    },
    crash() {
      closed = true;
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Writes `total` bytes with backpressure. */
function streamBytes(res: import('node:http').ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

/** Starts one backend per name. */
export function startBackends(names: readonly string[], options?: { readonly recordHeaders?: boolean }) {
  return Promise.all(names.map((name) => startBackend(name, options)));
}
