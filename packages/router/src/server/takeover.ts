/**
 * Hands a running listener over to a replacement server on the same address, so that a reload
 * that must replace an `http.Server` (e.g. a new `maxHeadersKB`) never refuses a connection: the
 * listening socket stays open and every connection it accepts from then on is given to the
 * replacement with the public `server.emit('connection', socket)`. Connections already open stay
 * on the old server, which still answers them while it drains.
 *
 * Only plain `http.Server`s (the router's default factory) are handed over: a server made by a
 * custom `createServer` (a TLS or h2c door, whose accepting socket is its own `net.Server`) is
 * replaced by closing and binding again.
 */
import http from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';

/** Whether `server` is a plain `http.Server` that accepts on its own socket. */
export function isPlainHttpServer(server: NetServer): server is http.Server {
  return Object.getPrototypeOf(server) === http.Server.prototype;
}

/**
 * Makes `listener` (listening) feed its new connections to `next` instead of the server it fed
 * so far, and starts `next`'s request/headers timeout sweep (Node starts it on `'listening'`,
 * which a server that never listens itself would not get). `next` must not listen itself.
 */
export function handOver(listener: NetServer, next: http.Server): void {
  // The accepting listener's own handlers (Node's HTTP parser set-up for the old server, the
  // router's connection count) stop seeing new sockets; open ones keep their parsers.
  for (const handler of listener.listeners('connection')) {
    listener.off('connection', handler as (socket: Socket) => void);
  }
  listener.on('connection', (socket: Socket) => {
    next.emit('connection', socket);
  });
  next.emit('listening');
}

/** Stops `server`'s timeout sweep and idle connections when it never listened itself (no socket to close). */
export function closeUnbound(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
  });
}
