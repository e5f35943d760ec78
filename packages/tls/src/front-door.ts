/**
 * The TLS front door, built from public Node APIs only: a listening `net.Server` reads each
 * connection's ClientHello (bounded in bytes and time), asks the terminator which certificate
 * answers it, pushes the bytes back (`socket.unshift`) and hands the socket to a non-listening
 * `tls.Server` that holds exactly that one certificate (`server.emit('connection', socket)`).
 * Node then runs the whole handshake itself, client-certificate verification included, and the
 * secured socket goes to a handler chosen by the negotiated ALPN protocol (`http/1.1` → an HTTP
 * server, `h2` → an HTTP/2 server, each non-listening and fed with `emit('connection')`).
 *
 * One `tls.Server` per certificate means an RSA and an ECDSA certificate never share a context,
 * so a client is always handed the certificate its name selected; a reload swaps that server's
 * context with `setSecureContext` and open connections keep theirs.
 */
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Dispose } from '@switchyard/core';
import type { LoadedCertificate } from './certificate.js';
import { handshakeFailedChannel } from './channels.js';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello.js';
import { TlsError } from './errors.js';
import type { TlsTerminator } from './terminator.js';
import { checkAlpnProtocols } from './tls-options.js';

/** Takes over a TLS socket after its handshake; chosen by the ALPN protocol it negotiated. */
export type AlpnHandler = (socket: TLSSocket) => void;

/**
 * Hands sockets to a non-listening Node server (`http.createServer()`, `http2.createServer()`)
 * through its public `'connection'` event, as the Node docs describe for injecting connections.
 */
export function connectionHandler(server: {
  emit(event: 'connection', socket: TLSSocket): boolean;
}): AlpnHandler {
  return (socket) => {
    server.emit('connection', socket);
  };
}

/**
 * Hooks that see each parsed ClientHello before the SNI choice, for certificate management
 * (e.g. `@switchyard/acme`'s manager fits them structurally). Both must return at once and must
 * not throw; a hook that throws is reported as a handshake failure for that connection only.
 */
export interface ClientHelloHooks {
  /**
   * A certificate that answers this ClientHello instead of the SNI choice — TLS-ALPN-01
   * (RFC 8737): the front door completes the handshake with it, negotiating exactly `protocol`
   * (which the client must have offered), and then closes the connection without application
   * data. `undefined`: not a challenge.
   */
  readonly challenge?: (
    servername: string,
    alpnProtocols: readonly string[],
  ) => { readonly certPem: string; readonly keyPem: string; readonly protocol: string } | undefined;
  /**
   * Called when a ClientHello names a server that no certificate names (it gets the default
   * certificate, or is rejected with `unknownServerName: reject`), e.g. to order one on demand.
   * The handshake goes on without waiting.
   */
  readonly unknownServerName?: (servername: string) => void;
}

/** Options of `TlsFrontDoor`. */
export interface TlsFrontDoorOptions {
  /** See {@link ClientHelloHooks}. */
  readonly hooks?: ClientHelloHooks;
  /** Handlers by ALPN protocol id (`'http/1.1'`, `'h2'`); every offered protocol needs one. */
  readonly handlers: Readonly<Record<string, AlpnHandler>>;
  /**
   * Protocols offered, in preference order. Default: the terminator's `alpnProtocols` when they
   * were configured; otherwise `['h2', 'http/1.1']` when an `h2` handler is given (HTTP/2 is on by
   * default for TLS), else `['http/1.1']`.
   */
  readonly alpnProtocols?: readonly string[];
  /** The handler for clients that negotiate no ALPN protocol. Default `'http/1.1'`. */
  readonly withoutAlpn?: string;
  /** Most bytes a ClientHello may take, records included. Default `MAX_CLIENT_HELLO_BYTES` (64 KiB). */
  readonly maxClientHelloBytes?: number;
  /** Accepted sockets: disable Nagle (default true) and TCP keep-alive, as `net.createServer`. */
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
}

/** Where to listen. Port 0 picks a free port. */
export interface ListenOptions {
  readonly port: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
}

interface CertificateServer {
  readonly server: TlsServer;
  fingerprint256: string;
}

/**
 * A listening TLS endpoint for one `TlsTerminator`. Sockets can also be handed to `accept` from
 * another listener. `close` stops accepting; `destroyConnections` cuts every connection it took.
 */
export class TlsFrontDoor {
  #terminator: TlsTerminator;
  readonly #handlers: ReadonlyMap<string, AlpnHandler>;
  readonly #alpnProtocols: readonly string[];
  readonly #withoutAlpn: string;
  readonly #maxBytes: number;
  readonly #hooks: ClientHelloHooks | undefined;
  readonly #listener: NetServer;
  readonly #servers = new Map<string, CertificateServer>();
  /** Every accepted TCP socket, until it closes. */
  readonly #sockets = new Set<Socket>();
  /** Sockets whose ClientHello is still being read. */
  readonly #peeking = new Set<Socket>();
  /** Sockets the door's own listener accepted (a handed-in socket is its feeder's to stop). */
  readonly #own = new WeakSet<Socket>();
  /** `close` callers waiting for `#sockets` to empty. */
  readonly #drained: (() => void)[] = [];
  #unobserve: Dispose;

  /** Throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS` naming the protocol that has no handler. */
  constructor(terminator: TlsTerminator, options: TlsFrontDoorOptions) {
    this.#terminator = terminator;
    this.#handlers = new Map(Object.entries(options.handlers));
    this.#alpnProtocols = checkAlpnProtocols(
      options.alpnProtocols ??
        (!terminator.alpnProtocolsConfigured && options.handlers.h2 !== undefined
          ? ['h2', 'http/1.1']
          : terminator.alpnProtocols),
      'tls.alpnProtocols',
    );
    this.#withoutAlpn = options.withoutAlpn ?? 'http/1.1';
    for (const protocol of [...this.#alpnProtocols, this.#withoutAlpn]) {
      if (!this.#handlers.has(protocol)) {
        throw new TlsError(
          'SY_ERR_TLS_INVALID_OPTIONS',
          `tls.alpnProtocols: no handler for ${JSON.stringify(protocol)} (handlers: ${[...this.#handlers.keys()].join(', ') || 'none'})`,
        );
      }
    }
    const maxBytes = options.maxClientHelloBytes ?? MAX_CLIENT_HELLO_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 512) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `tls.maxClientHelloBytes: expected an integer of at least 512; got ${JSON.stringify(maxBytes)}`,
      );
    }
    this.#maxBytes = maxBytes;
    this.#hooks = options.hooks;
    this.#listener = createNetServer(
      {
        noDelay: options.noDelay ?? true,
        ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }),
        ...(options.keepAliveInitialDelay === undefined
          ? {}
          : { keepAliveInitialDelay: options.keepAliveInitialDelay }),
      },
      (socket) => {
        this.#own.add(socket);
        this.accept(socket);
      },
    );
    this.#unobserve = this.#observe(terminator);
  }

  /** Certificates that left every source: drop their servers (open connections are unaffected). */
  #observe(terminator: TlsTerminator): Dispose {
    return terminator.observe((status) => {
      const served = new Set(status.certificates.flatMap((c) => (c.kind === 'rejected' ? [] : [c.id])));
      for (const id of this.#servers.keys()) if (!served.has(id)) this.#servers.delete(id);
    });
  }

  /**
   * Gives the running front door another terminator (a changed TLS block: certificates, CA,
   * client auth, protocols, ciphers) without closing anything: the listener keeps accepting,
   * connections already handed to a certificate's `tls.Server` keep going on it (their secure
   * context is theirs), and every ClientHello read from now on is answered by `terminator`'s
   * certificate selection and options. The ALPN protocols and handlers stay as they are. The
   * caller still owns both terminators (closing the old one does not touch open connections).
   */
  setTerminator(terminator: TlsTerminator): void {
    if (terminator === this.#terminator) return;
    this.#unobserve();
    this.#terminator = terminator;
    // Per-certificate servers carry the old terminator's options: new ones are made on demand.
    this.#servers.clear();
    this.#unobserve = this.#observe(terminator);
  }

  /** The terminator new handshakes are answered by. */
  get terminator(): TlsTerminator {
    return this.#terminator;
  }

  /** The listening `net.Server` (its `connection` events carry raw TCP sockets). */
  get server(): NetServer {
    return this.#listener;
  }

  /** ALPN protocols offered, in preference order. */
  get alpnProtocols(): readonly string[] {
    return this.#alpnProtocols;
  }

  /** Listens; resolves with the bound address. Does not wait for certificates (see `terminator.ready()`). */
  listen(options: ListenOptions): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#listener.once('error', onError);
      this.#listener.listen(options.port, options.host ?? '127.0.0.1', () => {
        this.#listener.off('error', onError);
        resolve(this.#listener.address() as AddressInfo);
      });
    });
  }

  /** The bound address, or undefined when not listening. */
  address(): AddressInfo | undefined {
    const a = this.#listener.address();
    return a !== null && typeof a === 'object' ? a : undefined;
  }

  /**
   * Stops accepting and closes the listener's connections whose ClientHello has not arrived;
   * resolves once every accepted connection has closed (handlers decide when theirs close; see
   * `destroyConnections`). A socket handed to `accept` by another listener is served to the end,
   * its ClientHello still being read included (bounded by `handshakeTimeoutMs`): it may have been
   * accepted a moment before a feeder switched to another door, and closing it would reset a
   * client that did nothing wrong.
   */
  close(): Promise<void> {
    this.#unobserve();
    for (const socket of this.#peeking) if (this.#own.has(socket)) socket.destroy();
    const stopped = new Promise<void>((resolve) => {
      if (this.#listener.listening) this.#listener.close(() => resolve());
      else resolve();
    });
    // Sockets handed to `accept` by another listener count too, not only the listener's own.
    const drained = new Promise<void>((resolve) => {
      if (this.#sockets.size === 0) resolve();
      else this.#drained.push(resolve);
    });
    return Promise.all([stopped, drained]).then(() => {});
  }

  /** Destroys every connection this front door accepted, whatever its stage. */
  destroyConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /**
   * Serves one TCP connection: reads its ClientHello (within `handshakeTimeoutMs` and
   * `maxClientHelloBytes`), then hands it to the `tls.Server` of the certificate selected for it.
   * Connections that send something else, too much, or too little in time are closed and reported
   * (`switchyard:tls:handshakeFailed`, `tls/handshake_failures`).
   */
  accept(socket: Socket): void {
    this.#sockets.add(socket);
    this.#peeking.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#peeking.delete(socket);
      if (this.#sockets.size === 0) for (const f of this.#drained.splice(0)) f();
    });
    let buffered: Buffer = Buffer.alloc(0);
    const done = () => {
      clearTimeout(deadline);
      socket.off('data', onData);
      this.#peeking.delete(socket);
    };
    const fail = (error: TlsError) => {
      done();
      this.#handshakeFailed(error, socket.remoteAddress);
      socket.destroy();
    };
    // An absolute deadline, not an idle timeout: a client dripping a byte at a time is cut too.
    // Node's timers rather than an injected clock: this bounds real socket I/O.
    const deadline = setTimeout(() => {
      fail(
        new TlsError(
          'SY_ERR_TLS_CLIENT_HELLO_TIMEOUT',
          `tls: no complete ClientHello within ${this.#terminator.handshakeTimeoutMs} ms (got ${buffered.length} bytes)`,
        ),
      );
    }, this.#terminator.handshakeTimeoutMs);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const hello = parseClientHello(buffered, this.#maxBytes);
      if (hello.kind === 'incomplete') return;
      if (hello.kind === 'invalid') {
        fail(new TlsError('SY_ERR_TLS_BAD_CLIENT_HELLO', `tls: ${hello.reason}`));
        return;
      }
      done();
      const servername = hello.servername;
      if (servername !== undefined && this.#hooks !== undefined) {
        let challenge: ReturnType<NonNullable<ClientHelloHooks['challenge']>>;
        try {
          challenge = this.#hooks.challenge?.(servername, hello.alpnProtocols ?? []);
        } catch (err) {
          fail(
            new TlsError('SY_ERR_TLS_BAD_CLIENT_HELLO', `tls: challenge hook failed: ${String(err)}`, {
              cause: err,
            }),
          );
          return;
        }
        if (challenge !== undefined) {
          socket.pause();
          socket.unshift(buffered);
          this.#challengeServer(challenge).emit('connection', socket);
          return;
        }
      }
      const selection = this.#terminator.select(servername);
      if (
        servername !== undefined &&
        servername !== '' &&
        (selection.kind === 'default' || selection.kind === 'rejected')
      ) {
        try {
          this.#hooks?.unknownServerName?.(servername);
        } catch {
          // The hook's own fault; this handshake goes on as if it were absent.
        }
      }
      if (selection.kind === 'rejected') {
        this.#handshakeFailed(selection.error, socket.remoteAddress);
        socket.destroy();
        return;
      }
      socket.pause();
      socket.unshift(buffered);
      this.#serverFor(selection.certificate).emit('connection', socket);
    };
    socket.on('data', onData);
    socket.once('close', done);
    // A reset during or after the peek is the TLS socket's (or nobody's) business: never throw it.
    socket.on('error', () => {});
  }

  #serverFor(certificate: LoadedCertificate): TlsServer {
    const pem = { key: certificate.keyPem, cert: certificate.certChainPem };
    const existing = this.#servers.get(certificate.id);
    if (existing !== undefined) {
      if (existing.fingerprint256 !== certificate.fingerprint256) {
        existing.server.setSecureContext({ ...this.#terminator.tlsServerOptions(), ...pem });
        existing.fingerprint256 = certificate.fingerprint256;
      }
      return existing.server;
    }
    const server = createTlsServer({
      ...this.#terminator.tlsServerOptions(),
      ...pem,
      ALPNProtocols: [...this.#alpnProtocols],
    });
    server.on('secureConnection', (socket: TLSSocket) => this.#dispatch(socket));
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.#handshakeFailed(err, socket.remoteAddress);
      // Node reports a handshake timeout here but leaves the socket open (20, 22 and 24 alike).
      socket.destroy();
    });
    this.#servers.set(certificate.id, { server, fingerprint256: certificate.fingerprint256 });
    return server;
  }

  /**
   * A one-connection `tls.Server` for a challenge certificate: it offers only the challenge's
   * protocol and ends the connection once the handshake is done (RFC 8737 §3: no application data).
   */
  #challengeServer(challenge: { certPem: string; keyPem: string; protocol: string }): TlsServer {
    const server = createTlsServer({
      ...this.#terminator.tlsServerOptions(),
      requestCert: false,
      rejectUnauthorized: false,
      key: challenge.keyPem,
      cert: challenge.certPem,
      ALPNProtocols: [challenge.protocol],
    });
    server.on('secureConnection', (socket: TLSSocket) => socket.end());
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.#handshakeFailed(err, socket.remoteAddress);
      socket.destroy();
    });
    return server;
  }

  #dispatch(socket: TLSSocket): void {
    this.#terminator.stats?.counter('connections').incr();
    const protocol =
      socket.alpnProtocol === false || socket.alpnProtocol === null ? undefined : socket.alpnProtocol;
    const handler = this.#handlers.get(protocol ?? this.#withoutAlpn);
    if (handler === undefined) {
      // Only offered protocols can be negotiated and each has a handler; this is a Node change.
      socket.destroy();
      return;
    }
    handler(socket);
  }

  #handshakeFailed(err: Error & { code?: string }, remoteAddress: string | undefined): void {
    this.#terminator.stats?.counter('handshake_failures').incr();
    if (handshakeFailedChannel.hasSubscribers) {
      handshakeFailedChannel.publish({ message: err.message, code: err.code, remoteAddress });
    }
  }
}
