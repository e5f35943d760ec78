/**
 * An `http.Server` whose listening socket is a `TlsFrontDoor`: code written against a plain
 * `http.Server` (the router's `createServer` hook: `listen`, `close`, `closeIdleConnections`,
 * `request`/`upgrade`/`connection` events, timeouts) serves HTTPS unchanged. The HTTP server
 * itself never listens; the front door hands it each secured `http/1.1` socket with the public
 * `emit('connection')`, and other ALPN protocols (`h2`) to their own handlers.
 */
import type { RequestListener, ServerOptions } from 'node:http';
import { DoorHttpServer, type HttpServerH2Options } from './door-http-server.js';
import { type AlpnHandler, type ClientHelloHooks, connectionHandler, TlsFrontDoor } from './front-door.js';
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

/**
 * An HTTP/1.1 server listening through a TLS front door. `listen`, `address`, `listening`,
 * `close`, `ref`, `unref` and `getConnections` act on the front door's `net.Server`;
 * `closeAllConnections` also cuts connections still in their handshake. Node's request and
 * headers timeouts apply as on any listening `http.Server`. Differences: `'connection'` events
 * carry the secured `TLSSocket`s of `http/1.1` clients (raw sockets are on `frontDoor.server`),
 * and `'close'` is emitted when `close()` is called, while the `close` callback waits for every
 * connection, as usual.
 */
export class FrontDoorHttpServer extends DoorHttpServer {
  readonly #frontDoor: TlsFrontDoor;

  constructor(
    terminator: TlsTerminator,
    options: FrontDoorHttpServerOptions = {},
    requestListener?: RequestListener,
  ) {
    const { alpnProtocols, alpnHandlers, maxClientHelloBytes, clientHelloHooks, h2, ...http } = options;
    let frontDoor: TlsFrontDoor | undefined;
    super(http, requestListener, h2, (server, h2Server) => {
      frontDoor = new TlsFrontDoor(terminator, {
        handlers: {
          ...alpnHandlers,
          ...(h2Server === undefined ? {} : { h2: h2Server.alpnHandler }),
          'http/1.1': connectionHandler(server),
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
      return frontDoor;
    });
    this.#frontDoor = frontDoor as TlsFrontDoor;
  }

  /** The front door: its `server` is the listening `net.Server`. */
  get frontDoor(): TlsFrontDoor {
    return this.#frontDoor;
  }

  /**
   * Swaps the terminator in place (see `TlsFrontDoor.setTerminator`): open connections, HTTP/1.1
   * keep-alive and HTTP/2 sessions alike, keep going; new handshakes get `terminator`'s
   * certificates and settings.
   */
  setTerminator(terminator: TlsTerminator): void {
    this.#frontDoor.setTerminator(terminator);
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
