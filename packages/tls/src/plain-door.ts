/**
 * The plain-text front door: one listening `net.Server` that serves HTTP/1.1 and prior-knowledge
 * HTTP/2 (h2c, RFC 9113 §3.3) on the same port. Each connection's first bytes are compared with
 * the HTTP/2 connection preface: a match goes to the `h2c` handler (an `H2Server`), the first
 * byte that differs sends the connection to the `http/1.1` handler (a non-listening
 * `http.Server`). The bytes read are pushed back, so each handler sees the connection from its
 * start. The `Upgrade: h2c` dance is not offered.
 */
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Stats } from '@switchyard/core';
import { TlsError } from './errors.js';
import type { ListenOptions } from './front-door.js';
import { peekPreface } from './h2-preface.js';

/** Takes over a plain TCP socket whose protocol has been detected; attaches its listeners synchronously. */
export type PlainHandler = (socket: Socket) => void;

/** Options of {@link PlainFrontDoor}. */
export interface PlainFrontDoorOptions {
  /** Receives HTTP/1.1 connections, e.g. `connectionHandler(http.createServer(…))`. */
  readonly http1: PlainHandler;
  /** Receives prior-knowledge HTTP/2 connections, e.g. `(s) => h2Server.accept(s)`. Omit to serve HTTP/1.1 only. */
  readonly h2c?: PlainHandler;
  /** Time a connection has to show which protocol it speaks, ms. Default 10000. */
  readonly detectTimeoutMs?: number;
  /** Counters under `plain/`: `http1_connections`, `h2c_connections`, `detect_timeouts`. */
  readonly stats?: Stats;
  /** Accepted sockets: disable Nagle (default true). */
  readonly noDelay?: boolean;
}

/** A listening plain-text endpoint that tells h2c from HTTP/1.1 by the connection preface. */
export class PlainFrontDoor {
  readonly #listener: NetServer;
  readonly #http1: PlainHandler;
  readonly #h2c: PlainHandler | undefined;
  readonly #timeoutMs: number;
  readonly #stats: Stats | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #detecting = new Set<Socket>();
  /** Sockets the door's own listener accepted (a handed-in socket is its feeder's to stop). */
  readonly #own = new WeakSet<Socket>();
  /** `close` callers waiting for `#sockets` to empty. */
  readonly #drained: (() => void)[] = [];

  /** Throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS` for a bad `detectTimeoutMs`. */
  constructor(options: PlainFrontDoorOptions) {
    const timeout = options.detectTimeoutMs ?? 10_000;
    if (!Number.isSafeInteger(timeout) || timeout <= 0) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `detectTimeoutMs: expected a positive integer; got ${JSON.stringify(timeout)}`,
      );
    }
    this.#timeoutMs = timeout;
    this.#http1 = options.http1;
    this.#h2c = options.h2c;
    this.#stats = options.stats?.scope('plain');
    this.#listener = createNetServer({ noDelay: options.noDelay ?? true }, (socket) => {
      this.#own.add(socket);
      this.accept(socket);
    });
  }

  /** The listening `net.Server`. */
  get server(): NetServer {
    return this.#listener;
  }

  /** Listens; resolves with the bound address. */
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

  /**
   * Detects the protocol of one connection and hands it over. Without an `h2c` handler every
   * connection goes to HTTP/1.1 at once (whose server answers a preface with 400/505 itself).
   */
  accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#detecting.delete(socket);
      if (this.#sockets.size === 0) for (const f of this.#drained.splice(0)) f();
    });
    // Reset during detection is nobody's business; handlers add their own listeners.
    socket.on('error', () => {});
    const h2c = this.#h2c;
    if (h2c === undefined) {
      this.#stats?.counter('http1_connections').incr();
      this.#http1(socket);
      return;
    }
    this.#detecting.add(socket);
    void peekPreface(socket, this.#timeoutMs).then((result) => {
      this.#detecting.delete(socket);
      switch (result) {
        case 'h2':
          this.#stats?.counter('h2c_connections').incr();
          h2c(socket);
          return;
        case 'other':
          this.#stats?.counter('http1_connections').incr();
          this.#http1(socket);
          // The peek left the socket paused; Node's HTTP/1.1 server only attaches listeners.
          socket.resume();
          return;
        case 'timeout':
          this.#stats?.counter('detect_timeouts').incr();
          socket.destroy();
          return;
        case 'closed':
          socket.destroy();
          return;
      }
    });
  }

  /**
   * Stops accepting and closes the listener's connections still being detected; resolves once
   * every connection it took has ended, those handed to `accept` by another listener included.
   * A handed-in socket is served to the end, detection included (bounded by `detectTimeoutMs`):
   * it may have been accepted a moment before its feeder switched to another door. Handlers
   * decide when theirs end (`H2Server.close` drains); `destroyConnections` cuts them.
   */
  close(): Promise<void> {
    for (const socket of this.#detecting) if (this.#own.has(socket)) socket.destroy();
    const stopped = new Promise<void>((resolve) => {
      if (this.#listener.listening) this.#listener.close(() => resolve());
      else resolve();
    });
    const drained = new Promise<void>((resolve) => {
      if (this.#sockets.size === 0) resolve();
      else this.#drained.push(resolve);
    });
    return Promise.all([stopped, drained]).then(() => {});
  }

  /** Destroys every connection this door accepted, whatever its stage. */
  destroyConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
}
