/**
 * The upstream HTTP/2 connection pool of one endpoint, on node:http2 (docs/http2.md says why not
 * undici's `allowH2`: it drops response trailers, cannot send request trailers, has no h2c, and
 * did not reset cancelled streams with CANCEL). Requests are multiplexed as streams over a few
 * sessions: a session takes streams up to the lower of `maxStreamsPerSession` and the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS; more sessions are opened up to `maxSessions`; beyond that
 * requests wait in order. A session that received GOAWAY takes no new streams (its in-flight
 * ones finish); lost sessions are replaced on the next request; keep-alive PINGs find dead peers.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type ClientSessionRequestOptions,
  connect,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import type { Stats } from '@switchyard/core';
import { ConnectFailedError, InvalidRouterOptionsError, RouterClosedError } from '../errors.js';

/** Options of {@link H2Pool}. */
export interface H2PoolOptions {
  /** The endpoint: `http://host:port` (h2c, prior knowledge) or `https://host:port` (h2 by ALPN). */
  readonly authority: string;
  /** TLS options for `https` (ca, servername, client certificate…). ALPN is always `h2`. */
  readonly tls?: SecureClientSessionOptions;
  /** Streams per session at most (the peer's limit applies too). Default 100. */
  readonly maxStreamsPerSession?: number;
  /** Sessions at most. Default 4. */
  readonly maxSessions?: number;
  /** Send a PING on each session this often, ms; 0 disables. Default 0. */
  readonly pingIntervalMs?: number;
  /** Destroy a session whose PING is not answered within this, ms. Default 10000. */
  readonly pingTimeoutMs?: number;
  /** Close a session that has had no streams for this long, ms; 0 keeps it. Default 60000. */
  readonly idleTimeoutMs?: number;
  /** Time allowed to connect (TCP, TLS, SETTINGS), ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Counters under `h2_pool/`: `connects`, `connect_failures`, `goaways`, `ping_timeouts`, `idle_closes`. */
  readonly stats?: Stats;
}

interface PooledSession {
  readonly session: ClientHttp2Session;
  active: number;
  /** Took GOAWAY or is closing: no new streams. */
  draining: boolean;
  connected: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

interface Waiter {
  readonly resolve: (s: PooledSession) => void;
  readonly reject: (e: unknown) => void;
}

function positive(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidRouterOptionsError(
      `h2 pool ${name}: expected an integer of at least ${min}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A multiplexing HTTP/2 client pool for one endpoint. A resource: `close` it. */
export class H2Pool {
  readonly #authority: string;
  readonly #tls: SecureClientSessionOptions | undefined;
  readonly #maxStreams: number;
  readonly #maxSessions: number;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #stats: Stats | undefined;
  readonly #sessions = new Set<PooledSession>();
  readonly #waiters: Waiter[] = [];
  #closed = false;

  /** Throws `SY_ERR_ROUTER_INVALID_OPTIONS` naming the option. */
  constructor(options: H2PoolOptions) {
    let url: URL;
    try {
      url = new URL(options.authority);
    } catch (cause) {
      throw new InvalidRouterOptionsError(
        `h2 pool authority: not a URL: ${JSON.stringify(options.authority)} (${String(cause)})`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidRouterOptionsError(
        `h2 pool authority: expected http: (h2c) or https: (h2); got ${url.protocol}`,
      );
    }
    this.#authority = url.origin;
    this.#tls = options.tls;
    this.#maxStreams = positive('maxStreamsPerSession', options.maxStreamsPerSession ?? 100, 1);
    this.#maxSessions = positive('maxSessions', options.maxSessions ?? 4, 1);
    this.#pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs ?? 0, 0);
    this.#pingTimeoutMs = positive('pingTimeoutMs', options.pingTimeoutMs ?? 10_000, 1);
    this.#idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs ?? 60_000, 0);
    this.#connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1);
    this.#stats = options.stats?.scope('h2_pool');
  }

  /** Live sessions (connecting, serving or draining). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Streams open across sessions. */
  get activeStreams(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.active;
    return n;
  }

  /**
   * Opens a stream for a request (`headers` carry `:method`, `:path`, `:authority`…; see
   * `h1RequestToH2`). Waits for a session with room. Rejects with `ConnectFailedError` when the
   * endpoint cannot be reached, `RouterClosedError` after `close`. `options.signal` aborting
   * resets the stream with CANCEL.
   */
  async request(
    headers: OutgoingHttpHeaders,
    options: ClientSessionRequestOptions & { signal?: AbortSignal } = {},
  ): Promise<ClientHttp2Stream> {
    // The slot is reserved (`active` counted) by #acquire, synchronously with the choice.
    const pooled = await this.#acquire();
    if (pooled.idleTimer !== undefined) {
      clearTimeout(pooled.idleTimer);
      pooled.idleTimer = undefined;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = pooled.session.request(headers, options);
    } catch (err) {
      this.#release(pooled);
      throw err;
    }
    stream.once('close', () => this.#release(pooled));
    return stream;
  }

  /** Stops taking requests; sessions close once their streams end (GOAWAY is sent). */
  close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new RouterClosedError());
    const closing = [...this.#sessions].map(
      (p) =>
        new Promise<void>((resolve) => (p.session.destroyed ? resolve() : p.session.close(() => resolve()))),
    );
    return Promise.all(closing).then(() => {});
  }

  /** Cuts every session now. */
  destroy(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new RouterClosedError());
    for (const p of this.#sessions) p.session.destroy();
  }

  #limit(p: PooledSession): number {
    const peer = p.connected ? p.session.remoteSettings.maxConcurrentStreams : undefined;
    return peer === undefined ? this.#maxStreams : Math.min(this.#maxStreams, peer);
  }

  #usable(p: PooledSession): boolean {
    return !p.draining && !p.session.closed && !p.session.destroyed && p.active < this.#limit(p);
  }

  #acquire(): Promise<PooledSession> {
    if (this.#closed) return Promise.reject(new RouterClosedError());
    // Fill the busiest usable session first, so idle ones can time out.
    let best: PooledSession | undefined;
    for (const p of this.#sessions) {
      if (p.connected && this.#usable(p) && (best === undefined || p.active > best.active)) best = p;
    }
    if (best !== undefined) {
      best.active++;
      return Promise.resolve(best);
    }
    // A session still connecting will have room (or fail and make way): wait for it.
    if (!this.#connecting() && this.#sessions.size < this.#maxSessions) return this.#open();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #open(): Promise<PooledSession> {
    return new Promise((resolve, reject) => {
      this.#stats?.counter('connects').incr();
      const session = connect(this.#authority, {
        ...this.#tls,
        ...(this.#authority.startsWith('https:') ? { ALPNProtocols: ['h2'] } : {}),
      });
      // Born with one stream reserved: the request that opened it.
      const pooled: PooledSession = {
        session,
        active: 1,
        draining: false,
        connected: false,
        idleTimer: undefined,
      };
      this.#sessions.add(pooled);
      let settled = false;
      const fail = (cause: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#stats?.counter('connect_failures').incr();
        pooled.active--;
        session.destroy();
        reject(new ConnectFailedError(this.#authority, cause));
      };
      const timer = setTimeout(
        () => fail(new Error(`no HTTP/2 SETTINGS within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      session.once('remoteSettings', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        pooled.connected = true;
        resolve(pooled);
        // The peer's limit may allow waiting requests onto this session too.
        this.#wake();
      });
      session.on('error', (err) => fail(err));
      session.on('goaway', () => {
        this.#stats?.counter('goaways').incr();
        pooled.draining = true;
        this.#wake();
      });
      session.once('close', () => {
        fail(new Error('session closed before SETTINGS'));
        clearInterval(pinger);
        clearTimeout(pooled.idleTimer);
        this.#sessions.delete(pooled);
        this.#wake();
      });
      let pinger: NodeJS.Timeout | undefined;
      if (this.#pingIntervalMs > 0) {
        pinger = setInterval(() => this.#ping(pooled), this.#pingIntervalMs);
        pinger.unref();
      }
    });
  }

  #connecting(): boolean {
    for (const p of this.#sessions) if (!p.connected && !p.session.destroyed) return true;
    return false;
  }

  #ping(p: PooledSession): void {
    if (!p.connected || p.session.destroyed) return;
    const deadline = setTimeout(() => {
      this.#stats?.counter('ping_timeouts').incr();
      p.session.destroy();
    }, this.#pingTimeoutMs);
    deadline.unref();
    const sent = p.session.ping((err) => {
      clearTimeout(deadline);
      if (err !== null) p.session.destroy();
    });
    if (!sent) clearTimeout(deadline);
  }

  #release(p: PooledSession): void {
    p.active--;
    if (p.active === 0 && this.#idleTimeoutMs > 0 && !p.session.closed) {
      p.idleTimer = setTimeout(() => {
        this.#stats?.counter('idle_closes').incr();
        p.draining = true;
        p.session.close();
      }, this.#idleTimeoutMs);
      p.idleTimer.unref();
    }
    if (p.draining && p.active === 0 && !p.session.closed) p.session.close();
    this.#wake();
  }

  /** Hands free stream slots (or new sessions) to waiting requests, in order. */
  #wake(): void {
    while (this.#waiters.length > 0 && !this.#closed) {
      let room: PooledSession | undefined;
      for (const p of this.#sessions) if (p.connected && this.#usable(p)) room = p;
      if (room !== undefined) {
        room.active++;
        this.#waiters.shift()!.resolve(room);
        continue;
      }
      if (this.#connecting() || this.#sessions.size >= this.#maxSessions) return;
      const w = this.#waiters.shift()!;
      this.#open().then(w.resolve, w.reject);
    }
  }
}
