/**
 * An `http.Server` whose listening socket is a `PlainFrontDoor`: HTTP/1.1 and prior-knowledge
 * HTTP/2 (h2c) on one plain port, both arriving as the server's `'request'` events (HTTP/2 ones
 * as Node's compatibility objects). Code written against a plain `http.Server` (the router's
 * `createServer` hook) serves h2c unchanged. The HTTP server never listens itself.
 */
import type { RequestListener, ServerOptions } from 'node:http';
import type { Stats } from '@switchyard/core';
import { DoorHttpServer, type HttpServerH2Options } from './door-http-server.js';
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
export class PlainHttpServer extends DoorHttpServer {
  readonly #door: PlainFrontDoor;

  constructor(options: PlainHttpServerOptions = {}, requestListener?: RequestListener) {
    const { h2, stats, ...http } = options;
    let door: PlainFrontDoor | undefined;
    super(http, requestListener, h2, (server, h2Server) => {
      door = new PlainFrontDoor({
        http1: (socket) => {
          server.emit('connection', socket);
        },
        ...(h2Server === undefined ? {} : { h2c: (socket) => h2Server.accept(socket) }),
        ...(stats === undefined ? {} : { stats }),
        ...(http.noDelay === undefined ? {} : { noDelay: http.noDelay }),
      });
      return door;
    });
    this.#door = door as PlainFrontDoor;
  }

  /** The door: its `server` is the listening `net.Server`. */
  get door(): PlainFrontDoor {
    return this.#door;
  }
}

/** An HTTP/1.1 (+ h2c) server on a plain port; fits the router's `createServer` hook. */
export function createPlainHttpServer(
  options: PlainHttpServerOptions = {},
  requestListener?: RequestListener,
): PlainHttpServer {
  return new PlainHttpServer(options, requestListener);
}
