/**
 * A real HTTP backend for proxy tests: a node:http server on an ephemeral loopback port that
 * records the requests it received and counts the bytes that reached it (closed connections
 * included), so a test can assert that a request the proxy refused sent the backend nothing.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A backend server on 127.0.0.1 with an ephemeral port. */
export interface Backend {
  readonly port: number;
  readonly server: http.Server;
  /** Open connections. */
  readonly sockets: Set<Socket>;
  /** Requests received so far. */
  readonly seen: IncomingMessage[];
  /** Bytes received on every connection so far (closed ones included). */
  bytesReceived(): number;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Answers a request; `backend.port` is the backend's own port. */
export type BackendHandler = (req: IncomingMessage, res: ServerResponse, backend: { port: number }) => void;

/** Starts a backend; `handler` defaults to answering `backend:<port> <method> <url>` once the body ended. */
export async function startBackend(handler?: BackendHandler): Promise<Backend> {
  const sockets = new Set<Socket>();
  const seen: IncomingMessage[] = [];
  let closedBytes = 0;
  const info = { port: 0 };
  const server = http.createServer((req, res) => {
    seen.push(req);
    if (handler !== undefined) return handler(req, res, info);
    req.resume();
    req.on('end', () => res.end(`backend:${info.port} ${req.method} ${req.url}`));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => {
      closedBytes += s.bytesRead;
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  info.port = (server.address() as AddressInfo).port;
  return {
    port: info.port,
    server,
    sockets,
    seen,
    bytesReceived: () => {
      let n = closedBytes;
      for (const s of sockets) n += s.bytesRead;
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
