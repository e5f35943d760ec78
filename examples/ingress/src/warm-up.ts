/**
 * Start-up warm-up: the request path runs once before the process reports ready, so that the
 * first user request does not pay for its first use (lazy compilation of the router's identify →
 * bind → client → forward code and of the config's layers, undici's HTTP parser). Measured with
 * the binary's local default: the first request after start took a median 354 ms without it and
 * 26–56 ms with it, at load ~22 on 2 cores (docs/kubernetes.md).
 *
 * Two parts, both before the admin server (and so `/admin/ready`) starts:
 * - a throwaway router of the same package, bound by the first running router's interpreter, sends
 *   two requests to a loopback backend of its own (the forward path, its pool, the interpreter's
 *   `/$/inet` bind); it has no stats, telemetry or access log, and is closed afterwards;
 * - each running router's first server gets one `GET /switchyard-warm-up` with `Host: switchyard-warm-up.invalid`,
 *   which its identifier does not name, answered locally (404): its server stack, telemetry layers
 *   and identifier run once. This one is visible, and documented as such: it counts as one request
 *   with status 4XX in that server's metrics, and the access log has its line (host
 *   `switchyard-warm-up.invalid`). Its error answer is not logged (log.ts).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identified } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createRouter, type Router } from '@switchyard/router';
import { WARM_UP_HOST, WARM_UP_PATH } from './warm-up-host.js';

/** What the warm-up did, for the start-up log. */
export interface WarmUpResult {
  /** Requests sent (and answered 200) through the warm-up router. */
  readonly requests: number;
  /** Wall time of the whole warm-up, ms. */
  readonly ms: number;
}

/** How many requests the warm-up sends: the second one runs the pooled (keep-alive) path. */
const REQUESTS = 2;

/**
 * Sends {@link REQUESTS} requests through a throwaway router bound by `routers[0]`'s interpreter
 * to a loopback backend, then closes both. Resolves with what it did; never rejects (a failed
 * warm-up only costs the first user request its cold path), with `requests` counting only those
 * answered 200.
 */
export async function warmUp(routers: readonly Router[]): Promise<WarmUpResult> {
  const started = performance.now();
  const first = routers[0];
  if (first === undefined) return { requests: 0, ms: 0 };
  const backend = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('warm'));
  });
  let router: Router | undefined;
  let answered = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      backend.once('error', reject);
      backend.listen(0, '127.0.0.1', () => resolve());
    });
    const backendPort = (backend.address() as AddressInfo).port;
    const name = Path.read(`/$/inet/127.0.0.1/${backendPort}`);
    router = createRouter({
      label: 'warm-up',
      servers: [{ port: 0, ip: '127.0.0.1' }],
      identifier: (req) => Promise.resolve(identified(name, req)),
      interpreter: first.interpreter,
    });
    const [server] = await router.listen();
    for (let i = 0; i < REQUESTS; i++) {
      if ((await get('127.0.0.1', server!.port, 'warm-up', '/')) === 200) answered++;
    }
    // Each running router's own server stack and identifier, answered locally (404).
    for (const running of routers) {
      const own = running.servers[0];
      if (own !== undefined) await get(loopbackOf(own.ip), own.port, WARM_UP_HOST, WARM_UP_PATH);
    }
  } catch {
    // The warm-up is an optimisation: its failure must not stop the process from serving.
  } finally {
    await router?.close({ graceMs: 0 }).catch(() => undefined);
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
  return { requests: answered, ms: Math.round((performance.now() - started) * 10) / 10 };
}

/** Where to reach a server listening on `ip` from this process. */
function loopbackOf(ip: string): string {
  if (ip === '0.0.0.0' || ip === '') return '127.0.0.1';
  if (ip === '::') return '::1';
  return ip;
}

/** `GET path` with `Host: host`; resolves with the status (0 on a socket error or timeout). */
function get(ip: string, port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}
