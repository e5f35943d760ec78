/**
 * An `http.Server` whose listening socket is a `TlsFrontDoor`: code written against a plain
 * `http.Server` (the router's `createServer` hook: `listen`, `close`, `closeIdleConnections`,
 * `request`/`upgrade`/`connection` events, timeouts) serves HTTPS unchanged. The HTTP server
 * itself never listens; the front door hands it each secured `http/1.1` socket with the public
 * `emit('connection')`, and other ALPN protocols (`h2`) to their own handlers.
 */
import { Server as HttpServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stats } from '@switchyard/core';
import { type AlpnHandler, type ClientHelloHooks, connectionHandler, TlsFrontDoor } from './front-door.js';
import { H2Server } from './h2-server.js';
import type { H2ServerSettings } from './h2-settings.js';
import type { TlsTerminator } from './terminator.js';

/** `http.createServer` options plus the front door's ALPN settings. */
export interface FrontDoorHttpServerOptions extends ServerOptions {
  /** Protocols offered, in preference order. Default: the terminator's `alpnProtocols`. */
  readonly alpnProtocols?: readonly string[];
  /** Handlers for protocols other than `http/1.1`, e.g. `{ h2: connectionHandler(http2Server) }`. */
  readonly alpnHandlers?: Readonly<Record<string, AlpnHandler>>;
  /** See `TlsFrontDoorOptions.maxClientHelloBytes`. */
  readonly maxClientHelloBytes?: number;
  /** See `TlsFrontDoorOptions.hooks` (ACME: TLS-ALPN-01 and on-demand issuance). */
  readonly clientHelloHooks?: ClientHelloHooks;
  /**
   * Serve HTTP/2 (ALPN `h2`) too: its requests are emitted as this server's `'request'` events
   * (Node's compatibility objects), so one listener serves both protocols. `close` sends GOAWAY
   * and drains for `settings.drainMs`. Omit to serve HTTP/1.1 only.
   */
  readonly h2?: HttpServerH2Options;
}

/** HTTP/2 next to HTTP/1.1 on one `http.Server` (TLS by ALPN, or plain with h2c prior knowledge). */
export interface HttpServerH2Options {
  readonly settings?: H2ServerSettings;
  /** Field prefix in option errors, e.g. `servers[0].h2`. */
  readonly where?: string;
  /** Counters under `h2/` (see `H2ServerOptions.stats`). */
  readonly stats?: Stats;
}

/** The HTTP/2 server that feeds `server`'s `'request'` event. */
export function requestEmittingH2Server(server: HttpServer, options: HttpServerH2Options): H2Server {
  return new H2Server({
    onRequest: (req, res) => server.emit('request', req, res),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.stats === undefined ? {} : { stats: options.stats }),
  });
}

/**
 * An HTTP/1.1 server listening through a TLS front door. `listen`, `address`, `listening`,
 * `close`, `ref`, `unref` and `getConnections` act on the front door's `net.Server`;
 * `closeAllConnections` also cuts connections still in their handshake. Node's request and
 * headers timeouts apply as on any listening `http.Server`. Differences: `'connection'` events
 * carry the secured `TLSSocket`s of `http/1.1` clients (raw sockets are on `frontDoor.server`),
 * and `'close'` is emitted when `close()` is called, while the `close` callback waits for every
 * connection, as usual.
 */
export class FrontDoorHttpServer extends HttpServer {
  readonly #frontDoor: TlsFrontDoor;
  readonly #h2: H2Server | undefined;

  constructor(
    terminator: TlsTerminator,
    options: FrontDoorHttpServerOptions = {},
    requestListener?: RequestListener,
  ) {
    const { alpnProtocols, alpnHandlers, maxClientHelloBytes, clientHelloHooks, h2, ...http } = options;
    super(http, requestListener);
    this.#h2 = h2 === undefined ? undefined : requestEmittingH2Server(this, h2);
    this.#frontDoor = new TlsFrontDoor(terminator, {
      handlers: {
        ...alpnHandlers,
        ...(this.#h2 === undefined ? {} : { h2: this.#h2.alpnHandler }),
        'http/1.1': connectionHandler(this),
      },
      ...(alpnProtocols === undefined ? {} : { alpnProtocols }),
      ...(maxClientHelloBytes === undefined ? {} : { maxClientHelloBytes }),
      ...(clientHelloHooks === undefined ? {} : { hooks: clientHelloHooks }),
      // The TCP options a listening http.Server applies to the sockets it accepts.
      ...(http.noDelay === undefined ? {} : { noDelay: http.noDelay }),
      ...(http.keepAlive === undefined ? {} : { keepAlive: http.keepAlive }),
      ...(http.keepAliveInitialDelay === undefined
        ? {}
        : { keepAliveInitialDelay: http.keepAliveInitialDelay }),
    });
    const listener = this.#frontDoor.server;
    // 'listening' on the HTTP server starts Node's connection tracking and its request/headers
    // timeout sweep, which a server that never listens itself would otherwise not have.
    listener.on('listening', () => this.emit('listening'));
    listener.on('error', (err) => this.emit('error', err));
    // `listening` is a read-only accessor of net.Server; answer for the front door instead.
    Object.defineProperty(this, 'listening', { get: () => listener.listening, configurable: true });
  }

  /** The HTTP/2 server, when `h2` was given. */
  get h2(): H2Server | undefined {
    return this.#h2;
  }

  /** The front door: its `server` is the listening `net.Server`. */
  get frontDoor(): TlsFrontDoor {
    return this.#frontDoor;
  }

  /** `net.Server.listen`, on the front door (same arguments; the callback runs on 'listening'). */
  override listen(...args: unknown[]): this {
    (this.#frontDoor.server.listen as (...a: unknown[]) => unknown)(...args);
    return this;
  }

  override address(): AddressInfo | string | null {
    return this.#frontDoor.server.address();
  }

  /**
   * Stops accepting (front door), closes idle HTTP connections and stops the timeout sweep
   * (Node's own `close`); `callback` runs once every connection has closed.
   */
  override close(callback?: (err?: Error) => void): this {
    const wasListening = this.#frontDoor.server.listening;
    super.close();
    // GOAWAY on every HTTP/2 connection; in-flight streams finish within drainMs.
    void this.#h2?.close();
    void this.#frontDoor.close().then(() => {
      if (callback === undefined) return;
      if (wasListening) callback();
      else callback(Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' }));
    });
    return this;
  }

  override closeAllConnections(): void {
    super.closeAllConnections();
    this.#h2?.destroyConnections();
    this.#frontDoor.destroyConnections();
  }

  override ref(): this {
    this.#frontDoor.server.ref();
    return this;
  }

  override unref(): this {
    this.#frontDoor.server.unref();
    return this;
  }

  override getConnections(cb: (error: Error | null, count: number) => void): this {
    this.#frontDoor.server.getConnections(cb);
    return this;
  }
}

/**
 * An `http.Server` listening through a TLS front door for `terminator`; fits the router's
 * `createServer` hook: `createServer: (o) => createFrontDoorHttpServer(terminator, o)`.
 */
export function createFrontDoorHttpServer(
  terminator: TlsTerminator,
  options: FrontDoorHttpServerOptions = {},
  requestListener?: RequestListener,
): FrontDoorHttpServer {
  return new FrontDoorHttpServer(terminator, options, requestListener);
}
