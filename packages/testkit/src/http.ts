/**
 * A small HTTP client for tests: one request over node:http(s) with a fresh connection, so a test
 * can set the `Host` header (fetch forbids it), pick the TLS trust root and SNI name, and read
 * status, headers and the whole body. One home for the copies tests had of it.
 */
import http from 'node:http';
import https from 'node:https';

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
