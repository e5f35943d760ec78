/** Real-socket helpers for config tests: start a node:http server, and send one request. */
import { type Agent, createServer, request, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { httpGet } from '@switchyard/testkit';

/** Listens on an ephemeral loopback port; resolves with the port. */
export function listen(server: Server | HttpsServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** A response, read whole, with the socket it came on (to check connection reuse). */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly socket: Socket;
}

/** GET `path` on 127.0.0.1:`port` with `headers` (the Host header included). */
export function get(
  port: number,
  options: { readonly path?: string; readonly headers?: Record<string, string>; readonly agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        headers: options.headers ?? {},
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body, socket: req.socket! }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET `path` on 127.0.0.1:`port` over a new connection (testkit's `httpGet`): status and body
 * only, so a test can compare the answer whole with `toEqual`.
 */
export async function getText(port: number, path: string): Promise<{ status: number; body: string }> {
  const { status, body } = await httpGet(`http://127.0.0.1:${port}${path}`);
  return { status, body };
}

/** A backend answering every request with `text`. */
export async function textBackend(text: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    res.end(text);
  });
  return { server, port: await listen(server) };
}

/**
 * A backend (not listening yet) answering `name`, except `/hold`: that response goes on `held`
 * and stays open until the test ends it (an in-flight request across a reload or a shutdown).
 */
export function holdingBackend(name: string, held: ServerResponse[]): Server {
  return createServer((req, res) => {
    req.resume();
    if (req.url === '/hold') held.push(res);
    else res.end(name);
  });
}
