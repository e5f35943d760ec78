/** A tiny curl for tests: node:http(s) so the Host header can be set (fetch forbids it). */
import http from 'node:http';
import https from 'node:https';

/** A response: status, headers and the whole body as text. */
export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Sends one request and reads the answer. `ca` switches to HTTPS with that trust root. */
export function curl(
  url: string,
  options: {
    readonly host?: string;
    readonly ca?: string | Buffer;
    readonly servername?: string;
    /** Further request headers (e.g. `cookie`). */
    readonly headers?: Readonly<Record<string, string>>;
  } = {},
): Promise<Answer> {
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
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Retries `probe` until it returns true (event-driven state settles quickly; no fixed sleeps). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
