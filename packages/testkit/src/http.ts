/**
 * A small HTTP client for tests: one request over node:http(s) with a fresh connection, so a test
 * can set the `Host` header (fetch forbids it), pick the TLS trust root and SNI name, and read
 * status, headers and the whole body; a request of any method, and raw bytes on a socket. One
 * home for the copies tests had of them.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** A response: status, headers and the whole body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** `Host` header; default the URL's. */
  readonly host?: string;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Trusted CA for an `https:` URL (default the system roots). */
  readonly ca?: string | Buffer;
  /** SNI name for an `https:` URL. Default `localhost`. */
  readonly servername?: string;
  /** Abort after this many ms. Default 10 000. */
  readonly timeoutMs?: number;
}

/** Sends `GET url` on a new connection and reads the whole answer. Rejects on a transport error. */
export function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        agent: false,
        headers: { ...options.headers, ...(options.host ? { host: options.host } : {}) },
        ...(secure ? { ca: options.ca, servername: options.servername ?? 'localhost' } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** Default `GET`. */
  readonly method?: string;
  /** Origin-form target. Default `/`. */
  readonly path?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

/**
 * Sends one plain-HTTP request to `127.0.0.1:port` on a new connection (no agent) and reads the
 * whole answer. Rejects on a transport error.
 */
export function httpRequest(port: number, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes `data` (latin1) on a new connection to `127.0.0.1:port` and resolves with everything
 * received (latin1) until the peer closes it: for requests node's client would refuse to send.
 * Send `Connection: close` where the server would keep the connection alive.
 */
export function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(data, 'latin1')));
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}
