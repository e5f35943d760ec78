/**
 * Hands a running listener over to a replacement server on the same address, so that a reload
 * that must replace an `http.Server` (e.g. a new `maxHeadersKB`) never refuses a connection: the
 * listening socket stays open and every connection it accepts from then on is given to the
 * replacement with the public `server.emit('connection', socket)`: the listening socket of a plain
 * HTTP server is the router's own acceptor (`createAcceptor`), never the `http.Server` itself. Connections already open stay
 * on the old server, which still answers them while it drains.
 *
 * Only plain `http.Server`s (the router's default factory) are handed over: a server made by a
 * custom `createServer` (a TLS or h2c door, whose accepting socket is its own `net.Server`) is
 * replaced by closing and binding again.
 */
import http from 'node:http';
import net, { type Server as NetServer, type Socket } from 'node:net';

/** Whether `server` is a plain `http.Server` that accepts on its own socket. */
export function isPlainHttpServer(server: NetServer): server is http.Server {
  return Object.getPrototypeOf(server) === http.Server.prototype;
}

/** Where an acceptor hands its connections: the router's current server for that address. */
export interface Feed {
  target: http.Server;
}

/**
 * The listening socket of a plain HTTP server: a `net.Server` with the socket options an
 * `http.Server` gives the connections it accepts, handing each to `feed.target` with the public
 * `emit('connection')`. The HTTP server itself never listens (see `handOver`).
 */
export function createAcceptor(feed: Feed): NetServer {
  const acceptor = net.createServer({ allowHalfOpen: true, noDelay: true });
  acceptor.on('connection', (socket: Socket) => {
    feed.target.emit('connection', socket);
  });
  return acceptor;
}

/**
 * Makes the acceptor of `feed` hand its new connections to `next` from now on, and starts
 * `next`'s request/headers timeout sweep (Node starts it on `'listening'`, which a server that
 * never listens itself would not get). Connections already open stay on the previous server.
 */
export function handOver(feed: Feed, next: http.Server): void {
  feed.target = next;
  next.emit('listening');
}

/** Stops `server`'s timeout sweep and idle connections when it never listened itself (no socket to close). */
export function closeUnbound(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
  });
}
