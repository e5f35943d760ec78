/**
 * Raw socket exchanges: write exact bytes (malformed requests, garbage) and read what comes back,
 * without an HTTP client that would refuse or repair them.
 */
import net from 'node:net';
import tls from 'node:tls';

/** What came back on a raw connection. */
export interface RawAnswer {
  /** Status code of the first response, when one arrived. */
  readonly status: number | undefined;
  /** The first response's head (status line and headers). */
  readonly head: string;
  /** Whether the peer closed the connection (vs. our timeout). */
  readonly closedByPeer: boolean;
  /** A socket error other than a reset after the answer, if any. */
  readonly error?: string;
}

/** Options of a raw exchange. */
export interface RawOptions {
  /** Connect with TLS (any certificate accepted: the bytes are the point). */
  readonly tls?: boolean;
  /** Give up waiting after this (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Return as soon as a full response head arrived (default true); false waits for the close. */
  readonly stopAtHead?: boolean;
}

/** Connects to 127.0.0.1:`port`, writes `payload`, and reads the answer. */
export function rawExchange(
  port: number,
  payload: Buffer | string,
  options: RawOptions = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let error: string | undefined;
    let settled = false;
    const finish = (closedByPeer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end >= 0 ? text.slice(0, end) : text;
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({
        status: match ? Number(match[1]) : undefined,
        head,
        closedByPeer,
        ...(error ? { error } : {}),
      });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5000);
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      socket.write(payload, () => undefined);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if ((options.stopAtHead ?? true) && data.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (data.length === 0) error = e.code ?? e.message;
    });
    socket.on('close', () => finish(true));
  });
}

/** Opens a connection and returns it once connected (for slow writers). */
export function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
