/**
 * The admin control route `POST /admin/dtab-overrides/mint`: mints a signed dtab override cookie
 * for trusted testers ("send me to world-v2 for 8 hours") with a router's current signing key.
 * Registered only when admin control is enabled, so only a caller holding the admin bearer token
 * can mint. Request body (JSON, at most 16 KiB): `{ "router": "<label>", "dtab": "<dentries>",
 * "ttlSecs": <seconds> }`. Answer: `{ cookie, value, expiresAt, setCookie }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRouteHandler } from '@switchyard/admin';
import type { Clock } from '@switchyard/core';
import { IdentifierConfigError, mintSignedOverride } from '@switchyard/identifiers/http';
import type { BuiltRouter } from './build-router.js';
import { readSigningKeys } from './dtab-overrides.js';

/** The path of the mint route. */
export const MINT_PATH = '/admin/dtab-overrides/mint';

const MAX_BODY = 16 * 1024;

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The handler, reading each router's config and key files at request time (reloads apply). */
export function mintRoute(
  routers: readonly BuiltRouter[],
  options: { readonly baseDir: string; readonly clock: Clock },
): AdminRouteHandler {
  return async (req, res) => {
    const text = await readBody(req);
    if (text === undefined) return answer(res, 413, { error: `body larger than ${MAX_BODY} bytes` });
    let body: { router?: unknown; dtab?: unknown; ttlSecs?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      return answer(res, 400, { error: `body is not JSON: ${(error as Error).message}` });
    }
    const built = routers.find((r) => r.router.label === body?.router);
    if (built === undefined) {
      return answer(res, 400, {
        error: `router: no router labelled ${JSON.stringify(body?.router)}`,
        routers: routers.map((r) => r.router.label),
      });
    }
    const signed = built.config.signedDtabOverrides;
    if (signed === undefined) {
      return answer(res, 400, { error: `router ${built.router.label} has no signedDtabOverrides` });
    }
    const ttl = body.ttlSecs;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > signed.maxTtlSecs) {
      return answer(res, 400, { error: `ttlSecs: expected an integer from 1 to ${signed.maxTtlSecs}` });
    }
    if (typeof body.dtab !== 'string') return answer(res, 400, { error: 'dtab: expected a string' });
    const [key] = await readSigningKeys(built.config, options.baseDir);
    const expiresAt = options.clock.now() + ttl * 1000;
    let value: string;
    try {
      value = mintSignedOverride({ dtab: body.dtab, key: key!, expiresAt });
    } catch (error) {
      if (error instanceof IdentifierConfigError) return answer(res, 400, { error: error.message });
      throw error;
    }
    answer(res, 200, {
      cookie: signed.cookie,
      value,
      expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString(),
      setCookie: `${signed.cookie}=${value}; Max-Age=${ttl}; Path=/; Secure; HttpOnly; SameSite=Lax`,
    });
  };
}
