/**
 * Writes a limit's answer (429 with `Retry-After`, or 503 when shedding) on the client's response.
 * The router's rescue maps only the router's own error codes to responses, so a limit answers
 * itself; it never reaches bind or dispatch, so no backend is leased or blamed.
 */
import { Http2ServerResponse } from 'node:http2';
import type { LimitedExchange } from './stage.js';

/** A limit's answer. */
export interface LimitAnswer {
  readonly status: 429 | 503;
  /** text/plain body (a newline is added). */
  readonly body: string;
  /** Whole seconds for `Retry-After`; absent: no header. */
  readonly retryAfterS?: number;
}

/** Writes `answer`; resolves when the response is finished or the connection closed. */
export async function respond(exchange: LimitedExchange, answer: LimitAnswer): Promise<void> {
  const { req, res } = exchange;
  const h2 = res instanceof Http2ServerResponse;
  if (res.headersSent || (h2 ? res.stream.destroyed : res.destroyed)) return;
  const body = `${answer.body}\n`;
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (answer.retryAfterS !== undefined) headers['retry-after'] = answer.retryAfterS;
  // An unread request body would otherwise be drained to keep the connection (HTTP/1 only: HTTP/2
  // has no connection header, a stream is reset instead).
  if (!req.complete && req.httpVersionMajor === 1) headers.connection = 'close';
  // Both response kinds emit 'finish' once the answer is written and 'close' when the
  // connection or stream goes away first.
  const done = new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
  try {
    res.writeHead(answer.status, headers);
    res.end(body);
    await done;
  } catch {
    if (h2) res.stream.destroy();
    else if (!res.destroyed) res.destroy();
  }
}
