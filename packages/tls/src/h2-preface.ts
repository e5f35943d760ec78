/**
 * The HTTP/2 client connection preface (RFC 9113 §3.4): the 24 octets
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` every HTTP/2 client sends first. On a plain port it tells
 * prior-knowledge h2c from HTTP/1.1 (no HTTP/1.1 request line can start with `PRI * HTTP/2.0`);
 * on a connection that negotiated `h2` a different start is a PROTOCOL_ERROR. Decided from as few
 * bytes as possible, so an HTTP/1.1 request is handed over on its first byte.
 */
import type { Duplex } from 'node:stream';

/** The 24-octet client connection preface. */
export const H2_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What the bytes read so far say: `h2` (whole preface seen), `other` (they diverge), or `incomplete`. */
export type PrefaceMatch = 'h2' | 'other' | 'incomplete';

/** Compares `bytes` with the preface (only the first 24 bytes matter). */
export function matchPreface(bytes: Uint8Array): PrefaceMatch {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return 'other';
  return n === H2_PREFACE.length ? 'h2' : 'incomplete';
}

/** How a preface peek ended. The bytes read are always pushed back onto the socket. */
export type PrefacePeek = 'h2' | 'other' | 'timeout' | 'closed';

/**
 * Reads from `socket` until the preface is seen or ruled out, then pushes the bytes back
 * (`unshift`) and pauses the socket, so whoever takes it next reads them again. `timeoutMs` is an
 * absolute deadline (a client dripping bytes is cut too).
 */
export function peekPreface(socket: Duplex, timeoutMs: number): Promise<PrefacePeek> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: PrefacePeek) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onClose);
      if (result !== 'closed' && result !== 'timeout') {
        socket.pause();
        if (buffered.length > 0) socket.unshift(buffered);
      }
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const m = matchPreface(buffered);
      if (m !== 'incomplete') finish(m);
    };
    const onClose = () => finish('closed');
    // Node's timers, not an injected clock: this bounds real socket I/O.
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('end', onClose);
    socket.resume();
  });
}
