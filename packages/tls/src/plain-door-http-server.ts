/**
 * An `http.Server` whose listening socket is a `PlainFrontDoor`: HTTP/1.1 and prior-knowledge
 * HTTP/2 (h2c) on one plain port, both arriving as the server's `'request'` events (HTTP/2 ones
 * as Node's compatibility objects). Code written against a plain `http.Server` (the router's
 * `createServer` hook) serves h2c unchanged. The HTTP server never listens itself.
 */
import { Server as HttpServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stats } from '@switchyard/core';
import { type HttpServerH2Options, requestEmittingH2Server } from './front-door-http-server.js';
import type { H2Server } from './h2-server.js';
import { PlainFrontDoor } from './plain-door.js';

/** `http.createServer` options plus HTTP/2. */
export interface PlainHttpServerOptions extends ServerOptions {
  /** Serve h2c (prior knowledge) next to HTTP/1.1. Omit for HTTP/1.1 only. */
  readonly h2?: HttpServerH2Options;
  /** Counters of the door under `plain/` (see `PlainFrontDoorOptions.stats`). */
  readonly stats?: Stats;
}

/**
 * An HTTP/1.1 + h2c server on one plain port. `listen`, `address`, `close`, `ref`, `unref` and
 * `getConnections` act on the door's `net.Server`; `close` also sends GOAWAY to HTTP/2
 * connections (drain), `closeAllConnections` cuts every connection. `'connection'` events carry
 * HTTP/1.1 sockets only.
 */
export class PlainHttpServer extends HttpServer {
  readonly #door: PlainFrontDoor;
  readonly #h2: H2Server | undefined;

  constructor(options: PlainHttpServerOptions = {}, requestListener?: RequestListener) {
    const { h2, stats, ...http } = options;
    super(http, requestListener);
    const h2Server = h2 === undefined ? undefined : requestEmittingH2Server(this, h2);
    this.#h2 = h2Server;
    this.#door = new PlainFrontDoor({
      http1: (socket) => {
        this.emit('connection', socket);
      },
      ...(h2Server === undefined ? {} : { h2c: (socket) => h2Server.accept(socket) }),
      ...(stats === undefined ? {} : { stats }),
      ...(http.noDelay === undefined ? {} : { noDelay: http.noDelay }),
    });
    const listener = this.#door.server;
    // 'listening' starts Node's connection tracking and request/headers timeout sweep.
    listener.on('listening', () => this.emit('listening'));
    listener.on('error', (err) => this.emit('error', err));
    Object.defineProperty(this, 'listening', { get: () => listener.listening, configurable: true });
  }

  /** The HTTP/2 server, when `h2` was given. */
  get h2(): H2Server | undefined {
    return this.#h2;
  }

  /** The door: its `server` is the listening `net.Server`. */
  get door(): PlainFrontDoor {
    return this.#door;
  }

  override listen(...args: unknown[]): this {
    (this.#door.server.listen as (...a: unknown[]) => unknown)(...args);
    return this;
  }

  override address(): AddressInfo | string | null {
    return this.#door.server.address();
  }

  override close(callback?: (err?: Error) => void): this {
    const wasListening = this.#door.server.listening;
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

/** An HTTP/1.1 (+ h2c) server on a plain port; fits the router's `createServer` hook. */
export function createPlainHttpServer(
  options: PlainHttpServerOptions = {},
  requestListener?: RequestListener,
): PlainHttpServer {
  return new PlainHttpServer(options, requestListener);
}
