/**
 * How the admin writes responses and judges request headers: one place for the security
 * headers every answer carries and for the Host/Origin checks, shared by both listeners.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/** Writes a complete response with the common security headers; HEAD gets no body. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** A one-line text answer (a trailing newline is added). */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  extra?: Record<string, string>,
): void {
  send(res, status, 'text/plain; charset=utf-8', body.endsWith('\n') ? body : `${body}\n`, extra);
}

/** A JSON answer; `?pretty=1` on `url` indents it. */
export function sendJson(res: ServerResponse, status: number, value: unknown, url?: URL): void {
  const pretty = url !== undefined && isTrue(url.searchParams.get('pretty'));
  send(
    res,
    status,
    'application/json; charset=utf-8',
    `${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`,
  );
}

/** A query flag: present and not `0`/`false`. */
export function isTrue(v: string | null): boolean {
  return v !== null && v !== '0' && v !== 'false';
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]', 'ip6-localhost']);

/** True for loopback names and addresses (`localhost`, `127.x.y.z`, `::1`, `*.localhost`). */
export function isLoopback(host: string): boolean {
  return (
    LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host.endsWith('.localhost')
  );
}

/** The hostname part of a Host header (`[::1]:9990` → `[::1]`, `a:1` → `a`). */
export function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** True when the request has no `Origin` (curl, probes) or one whose host is the `Host` header. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
