/**
 * The response body size for the access log (CLF's `%b`): the bytes handed to the response
 * through `write` and `end`, headers excluded, on HTTP/1 and the HTTP/2 compatibility response
 * alike. The methods are wrapped on one response object only, and only when a log is written.
 */
import type { ObservedClientResponse } from './observed.js';

/** The two methods `countBodyBytes` wraps, as both response kinds have them. */
interface WritableResponse {
  write(...args: unknown[]): boolean;
  end(...args: unknown[]): unknown;
}

/** Starts counting `response`'s body bytes; the returned function reads the count so far. */
export function countBodyBytes(response: ObservedClientResponse): () => number {
  // Both kinds' write/end take (chunk, encoding?, callback?): wrapped through one shape.
  const res = response as unknown as WritableResponse;
  let bytes = 0;
  // Http2ServerResponse.end(chunk) calls this.write(chunk): that inner write is not counted again.
  let ending = false;
  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: WritableResponse, ...args: unknown[]) {
    if (!ending) count(args[0], args[1]);
    return Reflect.apply(write, this, args) as boolean;
  };
  res.end = function (this: WritableResponse, ...args: unknown[]) {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    ending = true;
    try {
      return Reflect.apply(end, this, args);
    } finally {
      ending = false;
    }
  };
  return () => bytes;
}

/** Statuses (and HEAD) whose body Node never sends, whatever was written. */
export function bodyless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}
