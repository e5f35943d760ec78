/**
 * The HTTP/2 server settings users tune, checked once at construction (a typo fails at startup
 * naming the field), and how they become `http2.createServer` options. Defaults follow RFC 9113's
 * advice (at least 100 concurrent streams) and keep idle connections, PINGs and shutdown bounded.
 */
import type { ServerOptions as Http2ServerOptions } from 'node:http2';
import { TlsError } from './errors.js';

/** Settings of an HTTP/2 server (HTTP/2 over TLS and prior-knowledge h2c alike). */
export interface H2ServerSettings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once; more are refused (REFUSED_STREAM). Default 100. */
  readonly maxConcurrentStreams?: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window, bytes (0 … 2^31−1). Default 65535 (the protocol's). */
  readonly initialStreamWindowSize?: number;
  /** The connection's receive window, bytes (65535 … 2^31−1), announced with WINDOW_UPDATE. Default 1 MiB. */
  readonly initialConnectionWindowSize?: number;
  /**
   * SETTINGS_MAX_HEADER_LIST_SIZE, bytes (names + values + 32 per field, RFC 9113 §6.5.2). A request
   * over it is answered 431 on its stream; the connection stays up. Default 16384.
   */
  readonly maxHeaderListSize?: number;
  /** Send a PING this often on a connection, ms; 0 disables. Default 0 (off). */
  readonly pingIntervalMs?: number;
  /** Close a connection whose PING is not answered within this, ms. Default 10000. */
  readonly pingTimeoutMs?: number;
  /** Close (GOAWAY) a connection with no frames in either direction for this long, ms; 0 disables. Default 300000. */
  readonly idleTimeoutMs?: number;
  /** On shutdown: GOAWAY, then let in-flight streams finish for at most this long, ms, before cutting them. Default 30000. */
  readonly drainMs?: number;
}

/** Checked settings with every default filled in. */
export interface ResolvedH2Settings {
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number;
  readonly initialConnectionWindowSize: number;
  readonly maxHeaderListSize: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly drainMs: number;
}

/** The defaults of {@link H2ServerSettings}. */
export const DEFAULT_H2_SETTINGS: ResolvedH2Settings = Object.freeze({
  maxConcurrentStreams: 100,
  initialStreamWindowSize: 65_535,
  initialConnectionWindowSize: 1 << 20,
  maxHeaderListSize: 16_384,
  pingIntervalMs: 0,
  pingTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  drainMs: 30_000,
});

const MAX_WINDOW = 2 ** 31 - 1;

/** Bounds of each field: [min, max]. */
const BOUNDS: Readonly<Record<keyof ResolvedH2Settings, readonly [number, number]>> = {
  maxConcurrentStreams: [1, 2 ** 32 - 1],
  initialStreamWindowSize: [0, MAX_WINDOW],
  initialConnectionWindowSize: [65_535, MAX_WINDOW],
  maxHeaderListSize: [1024, 2 ** 32 - 1],
  pingIntervalMs: [0, 2 ** 31 - 1],
  pingTimeoutMs: [1, 2 ** 31 - 1],
  idleTimeoutMs: [0, 2 ** 31 - 1],
  drainMs: [0, 2 ** 31 - 1],
};

/**
 * Fills in defaults and checks every field. Throws `TlsError` `SY_ERR_TLS_INVALID_OPTIONS` naming
 * `<field>` (prefixed by `where`, e.g. `servers[0].h2`) and its bounds.
 */
export function resolveH2Settings(settings: H2ServerSettings = {}, where = 'h2'): ResolvedH2Settings {
  const out: Record<string, number> = {};
  for (const key of Object.keys(BOUNDS) as (keyof ResolvedH2Settings)[]) {
    const value = settings[key] ?? DEFAULT_H2_SETTINGS[key];
    const [min, max] = BOUNDS[key];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `${where}.${key}: expected an integer from ${min} to ${max}; got ${JSON.stringify(value)}`,
      );
    }
    out[key] = value;
  }
  for (const key of Object.keys(settings)) {
    if (!(key in BOUNDS)) {
      throw new TlsError(
        'SY_ERR_TLS_INVALID_OPTIONS',
        `${where}.${key}: unknown setting (known: ${Object.keys(BOUNDS).join(', ')})`,
      );
    }
  }
  return Object.freeze(out as unknown as ResolvedH2Settings);
}

/** The `http2.createServer` options for resolved settings (server push off: proxies never push). */
export function http2ServerOptions(s: ResolvedH2Settings): Http2ServerOptions {
  return {
    settings: {
      enablePush: false,
      maxConcurrentStreams: s.maxConcurrentStreams,
      initialWindowSize: s.initialStreamWindowSize,
      maxHeaderListSize: s.maxHeaderListSize,
    },
    // Node decodes header blocks before the 'stream' event; bound the HPACK work per field count.
    maxHeaderListPairs: 256,
    // Node's own flood bounds, stated here so they are known and tested (h2-plain.test.ts):
    // SETTINGS entries per frame (more: GOAWAY ENHANCE_YOUR_CALM), unanswered PINGs we may send,
    // invalid frames and streams refused per session before it is closed, and the session's
    // memory for queued frames, MiB (past it new streams are refused).
    maxSettings: 32,
    maxOutstandingPings: 10,
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 100,
    maxSessionMemory: 10,
  };
}
