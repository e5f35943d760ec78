/**
 * Hands a running listener over to a replacement server on the same address, so that a reload
 * that must replace an `http.Server` (a new `maxHeadersKB`, TLS turned on or off, a new `h2` or
 * ALPN setting) never refuses a connection: the listening socket of every server is the router's
 * own acceptor (`createAcceptor`), never the server itself, and every connection it accepts from
 * a handover on goes to the replacement. Connections already open stay on the old server, which
 * still answers them while it drains.
 *
 * Two kinds of server can be fed: a plain `http.Server` (the router's default factory), which
 * takes a socket by the public `emit('connection', socket)`, and a server with an
 * `acceptConnection(socket)` method (`@switchyard/tls`'s door servers: the TLS front door reads
 * the ClientHello first, the plain door tells h2c from HTTP/1.1). Any other custom server
 * listens itself and is replaced by closing and binding again.
 */
import http from 'node:http';
import net, { type Server as NetServer, type Socket } from 'node:net';

/** Whether `server` is a plain `http.Server` that accepts on its own socket. */
export function isPlainHttpServer(server: NetServer): server is http.Server {
  return Object.getPrototypeOf(server) === http.Server.prototype;
}

/**
 * A server that serves raw TCP connections another listener accepted (e.g. `@switchyard/tls`'s
 * `DoorHttpServer.acceptConnection`): the router's acceptor feeds it as it feeds a plain server.
 */
export interface ConnectionAcceptingServer extends http.Server {
  acceptConnection(socket: Socket): void;
}

/** Whether `server` takes connections from `acceptConnection` (structural: the router does not import tls). */
export function acceptsConnections(server: NetServer): server is ConnectionAcceptingServer {
  return typeof (server as Partial<ConnectionAcceptingServer>).acceptConnection === 'function';
}

/** Whether the router's acceptor can feed `server` (a plain HTTP server or a connection-accepting one). */
export function isFeedable(server: NetServer): server is http.Server {
  return isPlainHttpServer(server) || acceptsConnections(server);
}

/** Where an acceptor hands its connections: the router's current server for that address. */
export interface Feed {
  target: http.Server;
}

/**
 * The listening socket of a server the router feeds: a `net.Server` with the socket options an
 * `http.Server` gives the connections it accepts (a door server sets its own in
 * `acceptConnection`), handing each to `feed.target`. The server itself never listens (see
 * `handOver`).
 */
export function createAcceptor(feed: Feed): NetServer {
  const acceptor = net.createServer({ allowHalfOpen: true, noDelay: true });
  acceptor.on('connection', (socket: Socket) => {
    const target = feed.target;
    if (acceptsConnections(target)) target.acceptConnection(socket);
    else target.emit('connection', socket);
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

/**
 * Stops a server that never listened itself: its timeout sweep, its idle connections, and for a
 * door server its HTTP/2 sessions (GOAWAY); resolves once its connections have closed (a door
 * server waits for all of them, a plain `http.Server` resolves at once).
 */
export function closeUnbound(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
  });
}
