/**
 * One attempt over HTTP/2 (h2c or h2 over TLS) to one endpoint, on its `H2Pool` stream: the
 * HTTP/2 twin of `forward.ts`, producing the same `HeldResponse`. The request head is mapped with
 * `h1RequestToH2` (Host → `:authority`, hop-by-hop fields removed, `TE: trailers` kept), the body
 * streams with HTTP/2 flow control (the client's request is paused while the stream's window is
 * full), the client's trailers follow the body, and the response streams back with its trailers
 * (HTTP/2 trailers to an HTTP/2 client, chunked trailers to an HTTP/1.1 one). A client that goes
 * away resets the upstream stream with CANCEL; an upstream reset after the head cuts the client's
 * response (RST_STREAM on HTTP/2, the connection on HTTP/1.1).
 */
import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type ClientHttp2Stream, constants, Http2ServerResponse, type IncomingHttpHeaders } from 'node:http2';
import type { PassThrough, Transform } from 'node:stream';
import {
  AttemptTimeoutError,
  ClientGoneError,
  ConnectFailedError,
  RouterError,
  UnforwardableRequestError,
  UpstreamFailedError,
} from '../errors.js';
import { REFUSED_STREAM } from '../failure-origin.js';
import { forwardableTrailers, h1RequestToH2, h2ResponseToH1 } from '../h2/message-map.js';
import type { H2Pool } from '../h2/pool.js';
import { type HeaderMap, prepareResponseHeaders } from '../headers.js';
import type { HeldResponse } from '../held-response.js';
import { responseDestroyed } from '../stages.js';
import type { Attempt } from './forward.js';
import { bodyThrough, pipeBody } from './forward.js';

type Phase = 'head' | 'held' | 'relaying' | 'done';

/** Trailers without `l5d-*` under clearContext; undefined when nothing is left. */
function trailersOut(
  trailers: IncomingHttpHeaders | undefined,
  clearContext: boolean,
): Record<string, string | string[]> | undefined {
  if (trailers === undefined) return undefined;
  const out = forwardableTrailers(trailers);
  if (clearContext) for (const name of Object.keys(out)) if (name.startsWith('l5d-')) delete out[name];
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Sends one attempt over `pool`. Resolves with the held response when its head arrives; rejects
 * before that with a `RouterError` (connect failure, reset, timeout, body too large) or
 * `ClientGoneError`.
 */
export function forwardH2Attempt(attempt: Attempt, pool: H2Pool): Promise<HeldResponse> {
  const { exchange, endpoint, head } = attempt;
  if (exchange.upgrade !== undefined) {
    return Promise.reject(
      new UnforwardableRequestError(new Error('Upgrade requests cannot be sent to an HTTP/2 endpoint')),
    );
  }
  const res = exchange.res;
  const clearContext = exchange.server.clearContext;
  return new Promise<HeldResponse>((resolve, reject) => {
    let phase: Phase = 'head';
    let stream: ClientHttp2Stream | undefined;
    let through: PassThrough | Transform | undefined;
    let responded = false;
    let heldError: Error | undefined;
    let relayed: { resolve: (s: number) => void; reject: (e: Error) => void } | undefined;
    let status = 502;
    let trailers: IncomingHttpHeaders | undefined;
    const abort = new AbortController();
    /** The response ended (`heldEnd`) or sent body chunks (`early`) before it was relayed. */
    let heldEnd: true | undefined;
    let early: Buffer[] | undefined;
    let needsDrain = false;
    let timer: ReturnType<typeof attempt.clock.setTimeout> | undefined;
    const clearTimer = () => {
      if (timer !== undefined) attempt.clock.clearTimeout(timer);
      timer = undefined;
    };

    const finish = (outcome: Error | number) => {
      const was = phase;
      if (was === 'done') return;
      phase = 'done';
      clearTimer();
      res.off('close', onClientClose);
      if (was === 'head') reject(typeof outcome === 'number' ? new ClientGoneError() : outcome);
      else if (was === 'held') heldError = typeof outcome === 'number' ? undefined : outcome;
      else if (typeof outcome === 'number') relayed!.resolve(outcome);
      else relayed!.reject(outcome);
    };
    const cancel = () => {
      if (stream !== undefined && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      else abort.abort();
      through?.destroy();
    };
    const fail = (err: Error) => {
      cancel();
      if (responded && !responseDestroyed(res)) res.destroy();
      finish(err);
    };
    const onClientClose = () => {
      if (phase !== 'done' && !res.writableEnded) fail(new ClientGoneError());
    };
    res.once('close', onClientClose);
    if (responseDestroyed(res) && !res.writableEnded) {
      finish(new ClientGoneError());
      return;
    }
    if (attempt.timeoutMs !== undefined && attempt.timeoutMs > 0) {
      const ms = attempt.timeoutMs;
      timer = attempt.clock.setTimeout(() => fail(new AttemptTimeoutError(ms)), ms);
    }

    let fields: OutgoingHttpHeaders;
    try {
      fields = h1RequestToH2(
        { method: head.method, url: head.url, headers: definedHeaders(head.headers as HeaderMap) },
        endpoint.tls === undefined ? 'http' : 'https',
      );
    } catch (err) {
      finish(new UnforwardableRequestError(err));
      return;
    }
    const body = attempt.body;
    const streaming = body.kind === 'stream';
    pool
      .request(fields, {
        endStream: body.kind === 'none',
        waitForTrailers: streaming,
        signal: abort.signal,
      })
      .then(
        (s) => {
          stream = s;
          if (phase === 'done') {
            s.close(constants.NGHTTP2_CANCEL);
            return;
          }
          start(s);
        },
        (err: unknown) => {
          if (phase === 'done') return;
          finish(
            err instanceof RouterError
              ? err
              : err instanceof Error && err.name === 'AbortError'
                ? new ClientGoneError()
                : new ConnectFailedError(endpoint.key, err),
          );
        },
      );

    function start(s: ClientHttp2Stream): void {
      s.on('error', (err) => {
        if (phase === 'done') return;
        if (responded && !responseDestroyed(res)) res.destroy();
        finish(new UpstreamFailedError(endpoint.key, refusedOr(s, err), responded));
      });
      s.on('close', () => {
        if (phase === 'done' || phase === 'held') {
          if (phase === 'held' && s.rstCode !== constants.NGHTTP2_NO_ERROR && heldEnd === undefined)
            heldError ??= new UpstreamFailedError(endpoint.key, new Error(`stream reset (${s.rstCode})`));
          return;
        }
        if (s.rstCode !== undefined && s.rstCode !== constants.NGHTTP2_NO_ERROR) {
          if (responded && !responseDestroyed(res)) res.destroy();
          finish(
            new UpstreamFailedError(
              endpoint.key,
              refusedOr(s, new Error(`stream reset (code ${s.rstCode})`)),
              responded,
            ),
          );
        }
      });
      if (body.kind === 'buffered') s.end(body.data);
      else if (streaming) {
        const t = bodyThrough(body.maxBytes);
        through = t;
        t.on('error', (err) => fail(err instanceof RouterError ? err : new ClientGoneError()));
        s.once('wantTrailers', () => {
          // Empty trailers end the stream with an empty DATA frame (END_STREAM), not a reset.
          s.sendTrailers(trailersOut(exchange.req.trailers, false) ?? {});
        });
        t.pipe(s);
        pipeBody(exchange, t);
      }
      s.once('response', (h) => onHead(s, h));
    }

    function onHead(s: ClientHttp2Stream, h: IncomingHttpHeaders): void {
      if (phase !== 'head') return;
      clearTimer();
      s.pause();
      const mapped = h2ResponseToH1(h);
      status = mapped.status;
      // Informational heads are not relayed (Node reports them as 'headers', not 'response').
      s.on('trailers', (t) => (trailers = t));
      s.on('data', (chunk: Buffer) => {
        if (phase === 'held') {
          if (early === undefined) early = [chunk];
          else early.push(chunk);
        } else if (phase === 'relaying') write(s, chunk);
      });
      s.once('end', () => {
        if (phase === 'held') heldEnd = true;
        else if (phase === 'relaying') end();
      });
      phase = 'held';
      resolve({
        status,
        headers: mapped.headers,
        relay: (extra) =>
          new Promise<number>((ok, ko) => {
            if (phase !== 'held') {
              ko(heldError ?? new ClientGoneError());
              return;
            }
            if (heldError !== undefined) {
              phase = 'done';
              res.off('close', onClientClose);
              ko(heldError);
              return;
            }
            phase = 'relaying';
            relayed = { resolve: ok, reject: ko };
            relayHead(s, mapped.headers, extra);
          }),
        discard: () => {
          if (phase !== 'held') return;
          phase = 'done';
          res.off('close', onClientClose);
          s.close(constants.NGHTTP2_CANCEL);
          through?.destroy();
        },
      });
    }

    function relayHead(
      s: ClientHttp2Stream,
      headers: HeaderMap,
      extra: Readonly<Record<string, string>> | undefined,
    ): void {
      const out: HeaderMap = prepareResponseHeaders(headers, clearContext);
      if (extra !== undefined) Object.assign(out, extra);
      if (attempt.closeConnection && exchange.protocol === 'http/1.1') out.connection = 'close';
      try {
        if (
          res instanceof Http2ServerResponse &&
          heldEnd === true &&
          early === undefined &&
          trailers === undefined
        ) {
          // Trailers-only (gRPC errors): one HEADERS frame with END_STREAM, as the backend sent it.
          res.stream.respond({ ':status': status, ...(out as OutgoingHttpHeaders) }, { endStream: true });
          responded = true;
          finish(status);
          return;
        }
        if (res instanceof ServerResponse) res.writeHead(status, out as OutgoingHttpHeaders);
        else res.writeHead(status, out as OutgoingHttpHeaders);
      } catch (err) {
        fail(new UpstreamFailedError(endpoint.key, err));
        return;
      }
      responded = true;
      const chunks = early;
      early = undefined;
      if (chunks !== undefined) for (const c of chunks) write(s, c);
      if (heldEnd === true) end();
      else if (!needsDrain) s.resume();
    }

    function write(s: ClientHttp2Stream, chunk: Buffer): void {
      const w: { write(c: Buffer): boolean } = res;
      if (!w.write(chunk) && !needsDrain) {
        needsDrain = true;
        s.pause();
        res.once('drain', () => {
          needsDrain = false;
          if (phase === 'relaying') s.resume();
        });
      }
    }

    function end(): void {
      const out = trailersOut(trailers, clearContext);
      if (out !== undefined) res.addTrailers(out);
      res.end();
      finish(status);
    }
  });
}

/** The header map without `undefined` values (removed fields). */
function definedHeaders(h: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in h) {
    const v = h[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * The cause of a failed stream: a stream the endpoint refused (RST_STREAM REFUSED_STREAM) gets
 * the code failureOrigin reads as "not processed", so the retry layer may send it again.
 */
function refusedOr(s: ClientHttp2Stream, err: Error): Error {
  if (s.rstCode !== constants.NGHTTP2_REFUSED_STREAM) return err;
  return Object.assign(new Error(`stream refused by the endpoint (REFUSED_STREAM): ${err.message}`), {
    code: REFUSED_STREAM,
  });
}
