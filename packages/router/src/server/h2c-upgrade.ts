/**
 * `Upgrade: h2c` (RFC 7540 §3.2, deprecated by RFC 9113) is declined: the request is served as the
 * HTTP/1.1 request it also is. Forwarding it would let a backend that accepts the upgrade answer
 * 101 and hand the client a tunnel past routing ("h2c smuggling").
 *
 * Node's HTTP/1.1 server hands every request carrying `Connection: upgrade` to the `upgrade`
 * listener with the raw socket and stops parsing (the body, if any, is in `head` and the socket).
 * `shouldUpgradeCallback` would avoid that, but Node 20 lacks it. So the request head is written
 * again without the upgrade headers, pushed back in front of the body bytes, and the socket is
 * given to the server as a new connection (the documented way to inject one): the server parses
 * it as an ordinary request, body and keep-alive included.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Header fields that only mean something for the declined upgrade. */
const UPGRADE_ONLY = new Set(['upgrade', 'http2-settings']);

/** True when every protocol the request offers in `Upgrade` is `h2c`. */
export function isH2cOnlyUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || req.method === 'CONNECT') return false;
  const offered = upgrade
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
  return offered.length > 0 && offered.every((token) => token === 'h2c');
}

/** The request head as received, minus the upgrade: `Upgrade`, `HTTP2-Settings` and their `Connection` tokens. */
export function headWithoutUpgrade(req: IncomingMessage): Buffer {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (UPGRADE_ONLY.has(lower)) continue;
    let value = raw[i + 1]!;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && !UPGRADE_ONLY.has(token.toLowerCase()))
        .join(', ');
      if (value === '') continue;
    }
    lines.push(`${name}: ${value}`);
  }
  // Header values come from Node's parser, which refused CR, LF and NUL in them.
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/**
 * Puts the rewritten head and the bytes already read (`head`) back into `socket`, for the server to
 * read again as a new connection.
 */
export function replayWithoutUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.unshift(head.length > 0 ? Buffer.concat([headWithoutUpgrade(req), head]) : headWithoutUpgrade(req));
}
