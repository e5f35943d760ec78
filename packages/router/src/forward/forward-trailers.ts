/**
 * Requests that announce trailers (`Trailer:`) cannot go through undici: its HTTP/1 writer ends a
 * chunked body with a fixed last chunk and has no way to send trailers. Such an attempt goes out
 * through node:http instead, on a connection of its own, driving the same streaming handler as an
 * undici dispatch (`ProxyHandler`), so back-pressure, timeouts, classification and response
 * trailers behave the same. Rare by design: most requests never announce trailers.
 */
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Endpoint } from '../endpoint.js';
import type { HeaderMap } from '../headers.js';
import type { RawFields } from '../raw-fields.js';

/**
 * The client's `Trailer` announcement (RFC 9110 §6.6.2) on a chunked request, or undefined. Read
 * from the raw head: the header map forwarded upstream has hop-by-hop fields removed already.
 */
export function announcedTrailers(req: IncomingMessage | Http2ServerRequest): string | undefined {
  let names: string | undefined;
  // HTTP/2 has no chunked framing: every request body may end with trailers.
  let chunked = req.httpVersionMajor === 2;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'trailer') names = names === undefined ? raw[i + 1]! : `${names}, ${raw[i + 1]}`;
    else if (name === 'transfer-encoding') chunked = true;
  }
  return chunked ? names : undefined;
}

/**
 * The part of the forwarder's handler (`ProxyHandler`, undici's raw handler form) this sender
 * drives: `onStart` instead of undici's `onConnect`, with this sender's abort and resume.
 */
export interface TrailerHandler {
  onStart(upstream: { abort(reason: Error): void; resume(): void }): void;
  /** False: pause the response until `resume`. */
  onHeaders(status: number, raw: RawFields, resume: undefined, statusMessage?: string): boolean;
  /** False: pause the response until `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(rawTrailers: RawFields | null): void;
  onError(error: Error): void;
}

/** What the attempt gives this sender: where, what, the body stream and the handler to drive. */
export interface TrailerAttempt {
  readonly endpoint: Endpoint;
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderMap;
  /** The request's `Trailer` announcement (hop-by-hop, so not in `headers`). */
  readonly trailerNames: string;
  /** The client's body, started by `handler.onStart`; ends after the client's trailers arrived. */
  readonly body: Readable;
  /** The client's trailers, read once `body` has ended. */
  readonly trailers: () => Record<string, string | undefined>;
  readonly handler: TrailerHandler;
}

/** Sends one attempt with node:http and relays its trailers after the body. */
export function sendWithTrailers(a: TrailerAttempt): void {
  const headers: OutgoingHttpHeaders = { trailer: a.trailerNames };
  for (const name in a.headers) {
    const value = a.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const tls = a.endpoint.tls;
  const options = {
    host: a.endpoint.host,
    port: a.endpoint.port,
    method: a.method,
    path: a.path,
    headers,
    agent: false as const,
  };
  const upstream: ClientRequest = tls ? https.request({ ...options, ...tls }) : http.request(options);
  let response: IncomingMessage | undefined;
  // What undici's abort and resume do, over the node:http streams.
  const control = {
    abort(reason: Error) {
      upstream.destroy(reason);
      response?.destroy(reason);
    },
    resume() {
      response?.resume();
    },
  };
  const h = a.handler;
  upstream.once('socket', (socket) => {
    const started = () => {
      h.onStart(control);
      a.body.on('data', (chunk: Buffer) => {
        if (!upstream.write(chunk)) {
          a.body.pause();
          upstream.once('drain', () => a.body.resume());
        }
      });
      a.body.once('end', () => {
        const out: Record<string, string> = {};
        const got = a.trailers();
        for (const name in got) if (got[name] !== undefined) out[name] = got[name]!;
        upstream.addTrailers(out);
        upstream.end();
      });
      a.body.once('error', (err) => control.abort(err));
    };
    if (socket.connecting) socket.once(tls ? 'secureConnect' : 'connect', started);
    else started();
  });
  upstream.once('response', (res) => {
    response = res;
    if (!h.onHeaders(res.statusCode ?? 502, res.rawHeaders, undefined, res.statusMessage)) res.pause();
    res.on('data', (chunk: Buffer) => {
      if (!h.onData(chunk)) res.pause();
    });
    res.once('end', () => h.onComplete(res.rawTrailers));
    res.once('error', (err) => h.onError(err));
  });
  upstream.once('error', (err) => h.onError(err));
}
