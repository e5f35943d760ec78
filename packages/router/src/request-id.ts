/**
 * `l5d-reqid`: Linkerd 1 stamped every forwarded request with the request's trace id (64 bits,
 * hex) so that logs of every hop can be joined. A router takes the id a trusted client sent
 * (clearContext off) and generates one otherwise; it is forwarded upstream and exposed to
 * observers as `RequestRecord.requestId`.
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one `randomFillSync` per 512 ids instead of one per request. */
const pool = Buffer.alloc(4096);
let at = pool.length;

/** A new request id: 16 lower-case hex digits (64 random bits), the width of a Finagle trace id. */
export function newRequestId(): string {
  if (at + 8 > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const id = pool.toString('hex', at, at + 8);
  at += 8;
  return id;
}

/** Printable ASCII without spaces or commas, at most 128 characters: what a request id may be. */
const ID = /^[!-+\--~]{1,128}$/;

/**
 * The id of a request: the client's `l5d-reqid` when it is trusted (clearContext off) and
 * well-formed (1–128 visible ASCII characters, no comma), else a new one.
 */
export function requestIdOf(value: string | string[] | undefined, trusted: boolean): string {
  if (trusted && typeof value === 'string' && ID.test(value)) return value;
  return newRequestId();
}
