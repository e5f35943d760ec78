/**
 * An HTTPS server whose certificates come from a `TlsTerminator`: the smallest thing that serves
 * a request handler over TLS with SNI and live reload. The router (or any caller) hands in its
 * own `requestListener`; everything TLS stays here.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { handshakeFailedChannel } from './channels.js';
import { type TlsServerOptions, type TlsStatus, TlsTerminator } from './terminator.js';

/** HTTP-level options passed through to `https.createServer` (timeouts, header limits…). */
export type HttpServerOptions = Omit<
  ServerOptions<typeof IncomingMessage, typeof ServerResponse>,
  | 'key'
  | 'cert'
  | 'ca'
  | 'SNICallback'
  | 'ALPNProtocols'
  | 'requestCert'
  | 'rejectUnauthorized'
  | 'minVersion'
  | 'maxVersion'
  | 'ciphers'
  | 'secureContext'
>;

/** Options of `createTlsServer`: the TLS settings plus optional HTTP server options. */
export interface TlsHttpServerOptions extends TlsServerOptions {
  readonly http?: HttpServerOptions;
}

/** Where to listen. Port 0 picks a free port. */
export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
}

/**
 * An `https.Server` plus the certificate lifecycle behind it.
 * `listen` waits for the first certificates; `close` stops accepting, ends idle keep-alive
 * connections, waits for the rest, and stops the certificate watches.
 */
export class TlsHttpServer {
  readonly #terminator: TlsTerminator;
  readonly #server: Server;
  readonly #detach: () => void;

  constructor(options: TlsHttpServerOptions, requestListener: RequestListener) {
    this.#terminator = new TlsTerminator(options);
    this.#server = createServer({ ...options.http, ...this.#terminator.serverOptions() }, requestListener);
    this.#detach = this.#terminator.attach(this.#server);
    const stats = options.stats?.scope('tls');
    this.#server.on('secureConnection', () => stats?.counter('connections').incr());
    this.#server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      stats?.counter('handshake_failures').incr();
      if (handshakeFailedChannel.hasSubscribers) {
        handshakeFailedChannel.publish({
          message: err.message,
          code: err.code,
          remoteAddress: socket.remoteAddress,
        });
      }
    });
  }

  /** The underlying Node server, for `upgrade`, `secureConnection` and similar listeners (`connection` sees raw TCP sockets). */
  get server(): Server {
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
    const a = this.#server.address();
    return a !== null && typeof a === 'object' ? a : undefined;
  }

  /** Stops listening and watching; resolves when every connection has closed. */
  close(): Promise<void> {
    this.#detach();
    this.#terminator.close();
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
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
