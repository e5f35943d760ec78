/**
 * The admin's probe listener (`admin.probe`): a second, tiny HTTP server that answers only
 * `GET|HEAD /admin/ping` and `/admin/ready`, so Kubernetes probes can reach a pod IP while the
 * full admin (dashboard, delegator, config, shutdown) stays on loopback. Answers match the
 * admin's own endpoints: `pong`; `ready`, or 503 `not ready: <sources>`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './build-context.js';

/** A listening probe server. */
export interface ProbeServer {
  readonly address: AddressInfo;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

function answer(res: import('node:http').ServerResponse, status: number, body: string, head: boolean): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : body);
}

/** Binds `ip:port` and serves ping/ready from `readiness` (read on every request). */
export async function startProbeServer(options: {
  readonly ip: string;
  readonly port: number;
  readonly readiness: readonly Readiness[];
}): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      answer(res, 405, 'method not allowed\n', head);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/admin/ping') answer(res, 200, 'pong', head);
    else if (path === '/admin/ready') {
      const waiting = options.readiness.filter((r) => !safeReady(r)).map((r) => r.name);
      if (waiting.length === 0) answer(res, 200, 'ready', head);
      else answer(res, 503, `not ready: ${waiting.join(', ')}`, head);
    } else answer(res, 404, 'not found: this port serves only /admin/ping and /admin/ready\n', head);
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.ip, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function safeReady(r: Readiness): boolean {
  try {
    return r.ready();
  } catch {
    return false;
  }
}
