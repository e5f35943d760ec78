/**
 * What the HTTP/2 server does about clients that abuse the protocol, beyond what nghttp2 enforces
 * on its own: naming the flood a session error came from (for counters), and a bound on streams a
 * client resets before they are answered (the "rapid reset" attack, CVE-2023-44487), which Node's
 * nghttp2 only catches after about a thousand streams and answers differently per Node release.
 */
import { constants, type ServerHttp2Session } from 'node:http2';

/** nghttp2 error numbers (`nghttp2.h`) carried as `errno` by Node's `ERR_HTTP2_ERROR`. */
const NGHTTP2_ERR_PROTO = -505;
const NGHTTP2_ERR_FLOODED = -904;
const NGHTTP2_ERR_TOO_MANY_CONTINUATIONS = -905;

/** The counter a session error adds to besides `session_errors`, if it names a known attack. */
export type SessionErrorKind = 'floods' | 'continuation_floods' | 'protocol_errors';

/**
 * Classifies a session `'error'`: `floods` when frames that must be answered (SETTINGS, PING) came
 * faster than the client read the answers (nghttp2's outbound-ack limit, CVE-2019-9512/9515),
 * `continuation_floods` for a header block split into too many CONTINUATION frames
 * (nghttp2 CVE-2024-28182), `protocol_errors` for other connection-level protocol errors (e.g. a
 * SETTINGS frame with more than `maxSettings` entries, too many invalid frames).
 */
export function sessionErrorKind(err: unknown): SessionErrorKind | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  switch (errno) {
    case NGHTTP2_ERR_FLOODED:
      return 'floods';
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
      return 'continuation_floods';
    case NGHTTP2_ERR_PROTO:
      return 'protocol_errors';
    default:
      return undefined;
  }
}

/** Length of the window over which client resets are counted, ms. */
export const RESET_WINDOW_MS = 1000;

/**
 * The most streams a client may reset before they were answered within {@link RESET_WINDOW_MS}:
 * twice `maxConcurrentStreams`, at least 100. A client that cancels that many requests in a second
 * on one connection is flooding, not cancelling.
 */
export function rapidResetLimit(maxConcurrentStreams: number): number {
  return Math.max(100, 2 * maxConcurrentStreams);
}

/**
 * Returns the function to call for each stream of `session` the client reset before it was
 * answered. Over `limit` within the window, the session is closed with GOAWAY(ENHANCE_YOUR_CALM)
 * (RFC 9113 §5.4.1 and §11.9 suggest it for abuse) and `onTrip` runs once.
 */
export function rapidResetGuard(
  session: ServerHttp2Session,
  limit: number,
  onTrip: () => void,
  now: () => number = () => performance.now(),
): () => void {
  let windowStart = now();
  let count = 0;
  let tripped = false;
  return () => {
    if (tripped || session.destroyed) return;
    const t = now();
    if (t - windowStart > RESET_WINDOW_MS) {
      windowStart = t;
      count = 0;
    }
    count += 1;
    if (count <= limit) return;
    tripped = true;
    onTrip();
    // Not from here: this runs inside nghttp2's processing of the client's bytes (a stream's
    // 'close'), and destroying the session there trips a native assertion in Node 20
    // (Http2Session::CheckAllocatedSize) that kills the process. After the read, it is safe.
    setImmediate(() => {
      if (!session.destroyed) destroyCalm(session);
    });
  };
}

/** Closes `session` with GOAWAY(ENHANCE_YOUR_CALM); the error becomes the session's 'error'. */
function destroyCalm(session: ServerHttp2Session): void {
  session.destroy(
    new Error('HTTP/2 rapid reset: too many streams reset before an answer'),
    constants.NGHTTP2_ENHANCE_YOUR_CALM,
  );
}
