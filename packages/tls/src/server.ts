/**
 * An HTTPS server whose certificates come from a `TlsTerminator`: the smallest thing that serves
 * a request handler over TLS with SNI and live reload. The router (or any caller) hands in its
 * own `requestListener`; everything TLS stays here.
 */
import type { IncomingMessage, RequestListener, ServerOptions, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlpnHandler, ListenOptions } from './front-door.js';
import { FrontDoorHttpServer } from './front-door-http-server.js';
import type { TlsStatus } from './status.js';
import { TlsTerminator } from './terminator.js';
import type { TlsServerOptions } from './tls-options.js';

/** HTTP-level options passed through to `http.createServer` (timeouts, header limits…). */
export type HttpServerOptions = ServerOptions<typeof IncomingMessage, typeof ServerResponse>;

/** Options of `createTlsServer`: the TLS settings plus optional HTTP server options. */
export interface TlsHttpServerOptions extends TlsServerOptions {
  readonly http?: HttpServerOptions;
  /** Handlers for ALPN protocols other than `http/1.1` (list them in `alpnProtocols`). */
  readonly alpnHandlers?: Readonly<Record<string, AlpnHandler>>;
}

/**
 * A TLS front door, an HTTP/1.1 server behind it, and the certificate lifecycle.
 * `listen` waits for the first certificates; `close` stops accepting, ends idle keep-alive
 * connections, waits for the rest, and stops the certificate watches.
 */
export class TlsHttpServer {
  readonly #terminator: TlsTerminator;
  readonly #server: FrontDoorHttpServer;

  constructor(options: TlsHttpServerOptions, requestListener: RequestListener) {
    this.#terminator = new TlsTerminator(options);
    try {
      this.#server = new FrontDoorHttpServer(
        this.#terminator,
        {
          ...options.http,
          ...(options.alpnHandlers === undefined ? {} : { alpnHandlers: options.alpnHandlers }),
        },
        requestListener,
      );
    } catch (error) {
      this.#terminator.close();
      throw error;
    }
  }

  /**
   * The HTTP server, for `upgrade`, `request` and similar listeners. Its `connection` events carry
   * secured `TLSSocket`s; raw TCP sockets are on `server.frontDoor.server`.
   */
  get server(): FrontDoorHttpServer {
    return this.#server;
  }

  /** The certificate lifecycle: status, observe, readiness. */
  get terminator(): TlsTerminator {
    return this.#terminator;
  }

  /** Resolves when certificates are loaded; see `TlsTerminator.ready`. */
  ready(): Promise<void> {
    return this.#terminator.ready();
  }

  /** Current certificate status; see `TlsTerminator.status`. */
  status(): TlsStatus {
    return this.#terminator.status();
  }

  /** Waits for certificates, then listens. Resolves with the bound address. */
  async listen(options: ListenOptions): Promise<AddressInfo> {
    await this.#terminator.ready();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(options.port, options.host ?? '127.0.0.1', () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  /** The bound address, or undefined before `listen`. */
  address(): AddressInfo | undefined {
    return this.#server.frontDoor.address();
  }

  /** Stops listening and watching; resolves when every connection has closed. */
  close(): Promise<void> {
    this.#terminator.close();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }
}

/**
 * Builds an HTTPS server terminating TLS with SNI and live reload in front of `requestListener`.
 *
 * @example
 * const server = createTlsServer({ certPath: '/etc/tls/tls.crt', keyPath: '/etc/tls/tls.key' }, handler);
 * await server.listen({ port: 4143, host: '0.0.0.0' });
 */
export function createTlsServer(
  options: TlsHttpServerOptions,
  requestListener: RequestListener,
): TlsHttpServer {
  return new TlsHttpServer(options, requestListener);
}
