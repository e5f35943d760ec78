/**
 * The e2e tests' HTTP helpers, from testkit (`httpGet`, `eventually`) under the names these tests
 * use: `curl` (a GET that can set `Host`) and `eventually` (poll a probe every 50 ms).
 */
import http from 'node:http';
import { httpGet, eventually as poll } from '@switchyard/testkit';

export type { HttpAnswer as Answer } from '@switchyard/testkit';
export { httpGet as curl };

/** Retries `probe` until it returns true (event-driven state settles quickly; no fixed sleeps). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  await poll(probe, { timeoutMs, intervalMs: 50 });
}

/**
 * `GET /` with Host `web` on a connection of its own (a new 4-tuple each time): the status as a
 * string, or the error's code (`ECONNRESET`…) when there is no answer.
 */
export function freshGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const fail = (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message);
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: { host: 'web' }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
  });
}
