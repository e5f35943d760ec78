/** Reads a small request body (JSON for the delegator and the dtab store), bounded in size. */
import type { IncomingMessage } from 'node:http';
import { badRequest } from './errors.js';

/** The largest body an admin route reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The body as UTF-8; a body over {@link MAX_BODY_BYTES} is a `SY_ERR_ADMIN_BAD_REQUEST`. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badRequest(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
