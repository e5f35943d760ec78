/**
 * The `http.Server` facade both front doors share: an HTTP server that never listens itself and
 * delegates `listen`, `address`, `listening`, `close`, `ref`, `unref` and `getConnections` to a
 * door's `net.Server`, with an optional HTTP/2 server whose requests arrive as its `'request'`
 * events. The TLS door (`FrontDoorHttpServer`) and the plain door (`PlainHttpServer`) differ only
 * in the door they build. Instead of listening, the server can be fed sockets another listener
 * accepted (`acceptConnection`): that is how a router keeps one listening socket per address
 * while it replaces the server behind it.
 */
import { Server as HttpServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Stats } from '@switchyard/core';
import { H2Server } from './h2-server.js';
import type { H2ServerSettings } from './h2-settings.js';

/** HTTP/2 next to HTTP/1.1 on one `http.Server` (TLS by ALPN, or plain with h2c prior knowledge). */
export interface HttpServerH2Options {
  readonly settings?: H2ServerSettings;
  /** Field prefix in option errors, e.g. `servers[0].h2`. */
  readonly where?: string;
  /** Counters under `h2/` (see `H2ServerOptions.stats`). */
  readonly stats?: Stats;
}

/** What the facade needs from a door: its listening server, a graceful close and a hard cut. */
export interface ListeningDoor {
  readonly server: NetServer;
  /** Serves one accepted TCP connection (its own listener's, or one handed in). */
  accept(socket: Socket): void;
  close(): Promise<void>;
  destroyConnections(): void;
}

/** The HTTP/2 server that feeds `server`'s `'request'` and `'session'` events. */
export function requestEmittingH2Server(server: HttpServer, options: HttpServerH2Options): H2Server {
  return new H2Server({
    onRequest: (req, res) => server.emit('request', req, res),
    // As node:http2's own servers do: one 'session' per HTTP/2 connection (its socket never
    // reaches the HTTP/1.1 server's 'connection' event).
    onSession: (session) => server.emit('session', session),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.stats === undefined ? {} : { stats: options.stats }),
  });
}

/**
 * An `http.Server` listening through a door. `'close'` is emitted when `close()` is called, while
 * the `close` callback waits for every connection (as usual); `closeAllConnections` also cuts the
 * HTTP/2 connections and the door's connections still being sorted.
 */
export abstract class DoorHttpServer extends HttpServer {
  readonly #door: ListeningDoor;
  readonly #h2: H2Server | undefined;
  /** The TCP options a listening `http.Server` gives the sockets it accepts, for handed-in ones. */
  readonly #socketOptions: Pick<ServerOptions, 'noDelay' | 'keepAlive' | 'keepAliveInitialDelay'>;
  /** Set by the first `'listening'` (the door's, or emitted by a feeder): the timeout sweep runs. */
  #started = false;
  /** Set by `close()`: sockets handed in afterwards are closed. */
  #closed = false;

  /** `makeDoor` gets this server (to hand it HTTP/1.1 sockets) and its HTTP/2 server, if any. */
  protected constructor(
    http: ServerOptions,
    requestListener: RequestListener | undefined,
    h2: HttpServerH2Options | undefined,
    makeDoor: (server: DoorHttpServer, h2: H2Server | undefined) => ListeningDoor,
  ) {
    super(http, requestListener);
    this.#socketOptions = {
      noDelay: http.noDelay ?? true,
      keepAlive: http.keepAlive ?? false,
      keepAliveInitialDelay: http.keepAliveInitialDelay ?? 0,
    };
    this.prependListener('listening', () => {
      this.#started = true;
    });
    this.#h2 = h2 === undefined ? undefined : requestEmittingH2Server(this, h2);
    this.#door = makeDoor(this, this.#h2);
    const listener = this.#door.server;
    // 'listening' on the HTTP server starts Node's connection tracking and its request/headers
    // timeout sweep, which a server that never listens itself would otherwise not have.
    listener.on('listening', () => this.emit('listening'));
    listener.on('error', (err) => this.emit('error', err));
    // `listening` is a read-only accessor of net.Server; answer for the door instead.
    Object.defineProperty(this, 'listening', { get: () => listener.listening, configurable: true });
  }

  /** The HTTP/2 server, when `h2` was given. */
  get h2(): H2Server | undefined {
    return this.#h2;
  }

  /**
   * Serves one TCP connection another listener accepted, exactly as the door serves its own (the
   * TLS door reads its ClientHello and runs the handshake, the plain door tells h2c from
   * HTTP/1.1), so the server need not listen at all: e.g. a router keeps the listening socket of
   * an address and hands each connection to whichever server is current. The socket gets the TCP
   * options of this server's own sockets (`noDelay`, `keepAlive`; not half-open). The first
   * socket starts Node's request/headers timeout sweep (a `'listening'` event) unless the server
   * already had one. After `close()` a handed-in socket is destroyed; sockets handed in before
   * are open connections that `close()` lets finish, handshakes in progress included (only the
   * door's own listener's connections still owing their first bytes are closed by `close()`).
   */
  acceptConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (!this.#started) this.emit('listening');
    const { noDelay, keepAlive, keepAliveInitialDelay } = this.#socketOptions;
    // A listening http.Server's own sockets are half-open; the door's (TLS, preface peek) are not.
    socket.allowHalfOpen = false;
    if (noDelay) socket.setNoDelay(true);
    if (keepAlive) socket.setKeepAlive(true, keepAliveInitialDelay);
    this.#door.accept(socket);
  }

  /** `net.Server.listen`, on the door (same arguments; the callback runs on 'listening'). */
  override listen(...args: unknown[]): this {
    (this.#door.server.listen as (...a: unknown[]) => unknown)(...args);
    return this;
  }

  override address(): AddressInfo | string | null {
    return this.#door.server.address();
  }

  /**
   * Stops accepting (door), closes idle HTTP connections and stops the timeout sweep (Node's own
   * `close`), sends GOAWAY on every HTTP/2 connection (in-flight streams finish within drainMs);
   * `callback` runs once every connection has closed, handed-in ones included. It gets
   * `ERR_SERVER_NOT_RUNNING` when the server neither listened nor was fed (`acceptConnection`).
   */
  override close(callback?: (err?: Error) => void): this {
    const wasListening = this.#door.server.listening || this.#started;
    this.#closed = true;
    super.close();
    void this.#h2?.close();
    void this.#door.close().then(() => {
      if (callback === undefined) return;
      if (wasListening) callback();
      else callback(Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' }));
    });
    return this;
  }

  override closeAllConnections(): void {
    super.closeAllConnections();
    this.#h2?.destroyConnections();
    this.#door.destroyConnections();
  }

  override ref(): this {
    this.#door.server.ref();
    return this;
  }

  override unref(): this {
    this.#door.server.unref();
    return this;
  }

  override getConnections(cb: (error: Error | null, count: number) => void): this {
    this.#door.server.getConnections(cb);
    return this;
  }
}
