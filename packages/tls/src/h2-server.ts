/**
 * The server side of HTTP/2 for both front doors: a non-listening `http2.Server` fed with sockets
 * (`emit('connection')`, the public way to inject connections) after their connection preface is
 * checked, with the settings users tune applied per session: connection window, keep-alive PINGs,
 * idle close, a header-list bound answered with 431, and a graceful shutdown that sends GOAWAY and
 * lets in-flight streams finish within a drain period. Protocol errors close only the offending
 * stream or connection and are counted; they never reach the process.
 */
import {
  constants,
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Stats } from '@switchyard/core';
import { TlsError } from './errors.js';
import type { AlpnHandler } from './front-door.js';
import { rapidResetGuard, rapidResetLimit, sessionErrorKind } from './h2-guards.js';
import { peekPreface } from './h2-preface.js';
import {
  type H2ServerSettings,
  http2ServerOptions,
  type ResolvedH2Settings,
  resolveH2Settings,
} from './h2-settings.js';

/** Handles one request stream (Node's stream API: `stream.respond`, `stream.end`, trailers, …). */
export type H2StreamHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** Handles one request through Node's compatibility API (`req`/`res` shaped like `node:http`'s). */
export type H2RequestHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** Options of {@link H2Server}: give `onStream` or `onRequest` (one of them). */
export interface H2ServerOptions {
  /** Called for every request stream that passed the server's own checks. */
  readonly onStream?: H2StreamHandler;
  /**
   * Called for every request that passed the server's own checks, with Node's compatibility
   * objects (what an `http.Server` 'request' listener can take, e.g. the router's).
   */
  readonly onRequest?: H2RequestHandler;
  readonly settings?: H2ServerSettings;
  /** Field prefix in option errors, e.g. `servers[0].h2`. Default `h2`. */
  readonly where?: string;
  /** Time a connection has to send its 24-byte preface, ms. Default 10000. */
  readonly prefaceTimeoutMs?: number;
  /** Called for every new HTTP/2 connection (e.g. to count it with the HTTP/1.1 ones). */
  readonly onSession?: (session: ServerHttp2Session) => void;
  /**
   * Counters under `h2/`: `sessions`, `streams`, `bad_preface`, `session_errors`, `frame_errors`,
   * `stream_errors`, `streams_reset`, `header_list_too_large`, `ping_timeouts`, `idle_closes`, and
   * the attacks a connection was closed for: `rapid_resets`, `floods` (SETTINGS/PING),
   * `continuation_floods`, `protocol_errors`.
   */
  readonly stats?: Stats;
}

/** A GOAWAY frame with PROTOCOL_ERROR and last stream 0: the answer to a connection that is not HTTP/2. */
const GOAWAY_PROTOCOL_ERROR = Buffer.from([0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/** RFC 9113 §6.5.2: the size of a header list is names + values + 32 per field. */
function headerListSize(raw: readonly string[] | undefined, headers: IncomingHttpHeaders): number {
  let size = 0;
  if (raw !== undefined) {
    for (let i = 0; i + 1 < raw.length; i += 2) size += raw[i]!.length + raw[i + 1]!.length + 32;
    return size;
  }
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) size += name.length + String(v).length + 32;
  }
  return size;
}

/**
 * An HTTP/2 server that owns no listener: give it sockets with `accept` (plain or TLS), or use
 * `alpnHandler` as the TLS front door's `h2` handler. `close` drains; `destroyConnections` cuts.
 */
export class H2Server {
  readonly #server: Http2Server;
  readonly #settings: ResolvedH2Settings;
  readonly #stats: Stats | undefined;
  readonly #onStream: H2StreamHandler | undefined;
  readonly #onSession: ((session: ServerHttp2Session) => void) | undefined;
  /** Streams this server answered itself (431): the compatibility 'request' skips them. */
  readonly #refused = new WeakSet<ServerHttp2Stream>();
  /** Per session: call when the client reset a stream before it was answered. */
  readonly #resetGuards = new WeakMap<ServerHttp2Session, () => void>();
  readonly #prefaceTimeoutMs: number;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #pending = new Set<Duplex>();
  #closing = false;

  /** Throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS` naming the setting. */
  constructor(options: H2ServerOptions) {
    this.#settings = resolveH2Settings(options.settings, options.where ?? 'h2');
    this.#stats = options.stats?.scope('h2');
    if ((options.onStream === undefined) === (options.onRequest === undefined)) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `${options.where ?? 'h2'}: give onStream or onRequest (one)`,
      );
    }
    this.#onStream = options.onStream;
    this.#onSession = options.onSession;
    this.#prefaceTimeoutMs = options.prefaceTimeoutMs ?? 10_000;
    this.#server = createHttp2Server(http2ServerOptions(this.#settings));
    this.#server.on('session', (session) => this.#session(session));
    this.#server.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw?: string[]) =>
        this.#stream(stream, headers, raw),
    );
    const onRequest = options.onRequest;
    // Node's compatibility layer attaches its own 'stream' listener when 'request' gets one: after
    // the one above, so the checks run first and refused streams are skipped here.
    if (onRequest !== undefined) {
      this.#server.on('request', (req, res) => {
        if (!this.#refused.has(req.stream)) onRequest(req, res);
      });
    }
    // Also reported on the session ('error' below); the server-level event must have a listener.
    this.#server.on('sessionError', () => {});
  }

  /** The checked settings in force. */
  get settings(): ResolvedH2Settings {
    return this.#settings;
  }

  /** The underlying non-listening `http2.Server` (for inspection; streams go to `onStream`). */
  get server(): Http2Server {
    return this.#server;
  }

  /** Open HTTP/2 connections. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The TLS front door's handler for ALPN `h2`. */
  get alpnHandler(): AlpnHandler {
    return (socket) => this.accept(socket);
  }

  /**
   * Serves one connection: checks its preface (RFC 9113 §3.4), then hands it to the HTTP/2
   * server. A connection that sends something else gets GOAWAY(PROTOCOL_ERROR) and is closed, one
   * that sends nothing in time is closed; both count `bad_preface`. After `close()` a connection
   * is still served its first request, then gets GOAWAY: it was accepted before the close (a TLS
   * handshake was under way when the door closed), and refusing it would fail a request the
   * client sent in good faith.
   */
  accept(socket: Duplex): void {
    this.#pending.add(socket);
    socket.on('error', () => {});
    void peekPreface(socket, this.#prefaceTimeoutMs).then((result) => {
      this.#pending.delete(socket);
      if (result === 'h2') {
        this.#server.emit('connection', socket);
        return;
      }
      if (result === 'other' || result === 'timeout') {
        this.#count('bad_preface');
        socket.end(GOAWAY_PROTOCOL_ERROR);
        setTimeout(() => socket.destroy(), 1000).unref();
        return;
      }
      socket.destroy();
    });
  }

  /**
   * Graceful shutdown: sends GOAWAY on every connection (new streams are refused, the client
   * retries them elsewhere), waits for in-flight streams to finish, and after `drainMs` cuts
   * whatever is left. A connection whose preface is still awaited, or handed in later, gets its
   * first request answered and then GOAWAY (see `accept`). Resolves when every connection open at
   * the call has closed.
   */
  close(): Promise<void> {
    this.#closing = true;
    const sessions = [...this.#sessions];
    if (sessions.length === 0) return Promise.resolve();
    const closed = sessions.map(
      (s) =>
        new Promise<void>((resolve) =>
          s.closed && s.destroyed ? resolve() : s.once('close', () => resolve()),
        ),
    );
    // close(): GOAWAY(NO_ERROR, last processed stream), then the session ends when its streams do.
    for (const s of sessions) if (!s.closed) s.close();
    const cut = setTimeout(() => {
      for (const s of this.#sessions) s.destroy();
    }, this.#settings.drainMs);
    return Promise.all(closed).then(() => clearTimeout(cut));
  }

  /** Cuts every connection at once (no drain). */
  destroyConnections(): void {
    for (const socket of this.#pending) socket.destroy();
    for (const s of this.#sessions) s.destroy();
  }

  #count(name: string): void {
    this.#stats?.counter(name).incr();
  }

  #session(session: ServerHttp2Session): void {
    this.#sessions.add(session);
    this.#count('sessions');
    this.#onSession?.(session);
    const s = this.#settings;
    session.on('error', (err) => {
      this.#count('session_errors');
      const kind = sessionErrorKind(err);
      if (kind !== undefined) this.#count(kind);
    });
    this.#resetGuards.set(
      session,
      rapidResetGuard(session, rapidResetLimit(s.maxConcurrentStreams), () => this.#count('rapid_resets')),
    );
    session.on('frameError', () => this.#count('frame_errors'));
    if (s.initialConnectionWindowSize > 65_535) session.setLocalWindowSize(s.initialConnectionWindowSize);
    if (s.idleTimeoutMs > 0) {
      session.setTimeout(s.idleTimeoutMs, () => {
        this.#count('idle_closes');
        session.close();
      });
    }
    let pinger: NodeJS.Timeout | undefined;
    if (s.pingIntervalMs > 0) {
      pinger = setInterval(() => {
        if (session.closed || session.destroyed) return;
        const deadline = setTimeout(() => {
          this.#count('ping_timeouts');
          session.destroy();
        }, s.pingTimeoutMs);
        deadline.unref();
        const sent = session.ping((err) => {
          clearTimeout(deadline);
          if (err !== null) session.destroy();
        });
        if (!sent) clearTimeout(deadline);
      }, s.pingIntervalMs);
      pinger.unref();
    }
    session.once('close', () => {
      clearInterval(pinger);
      this.#sessions.delete(session);
    });
    if (this.#closing) this.#closeAfterFirstStream(session);
  }

  /**
   * A session that began after `close()`: GOAWAY once its first request has arrived (Node's
   * `close()` lets the streams already received finish, RFC 9113 §6.8), or after the preface
   * timeout when none comes.
   */
  #closeAfterFirstStream(session: ServerHttp2Session): void {
    const idle = setTimeout(() => session.close(), this.#prefaceTimeoutMs);
    idle.unref();
    session.once('stream', () => {
      clearTimeout(idle);
      setImmediate(() => session.close());
    });
  }

  #stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, raw: string[] | undefined): void {
    this.#count('streams');
    stream.on('error', () => this.#count('stream_errors'));
    const guard = this.#resetGuards.get(stream.session as ServerHttp2Session);
    stream.once('close', () => {
      if (stream.rstCode === undefined || stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
      this.#count('streams_reset');
      // Reset before any answer: the rapid-reset pattern (the server did the work, got nothing back).
      if (!stream.headersSent) guard?.();
    });
    if (headerListSize(raw, headers) > this.#settings.maxHeaderListSize) {
      this.#count('header_list_too_large');
      // RFC 9113 §10.5.1: the request is refused with 431; the connection and its other streams go on.
      this.#refused.add(stream);
      stream.respond({ ':status': 431 }, { endStream: true });
      return;
    }
    this.#onStream?.(stream, headers);
  }
}
