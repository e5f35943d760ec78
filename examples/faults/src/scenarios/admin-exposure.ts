/**
 * Admin exposure: the admin must not be reachable through the public (router) port, must be bound
 * to loopback only, and must refuse `POST /admin/shutdown` without a valid bearer token — the
 * process has to stay up after each attempt.
 */
import http from 'node:http';
import { startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { sleep } from '../load.js';
import { sampleRss } from '../rss.js';

interface Reply {
  readonly status: number;
  readonly body: string;
}

function send(
  address: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const ADMIN_PATHS = [
  '/admin/ping',
  '/admin/metrics.json',
  '/config.json',
  '/admin/server_info',
  '/delegator.json',
];

/** The admin is not an open door. */
export const adminExposure: Scenario = {
  name: 'admin-exposure',
  description:
    'admin unreachable via the router port and off-loopback; POST /admin/shutdown refused without a token',
  timeoutMs: 60_000,
  async run(ctx) {
    const f = await startFixture(ctx, { services: { web: ['web-1'] } });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const adminPort = f.router.adminPort!;
    const problems: string[] = [];
    let sent = 0;
    let failed = 0;

    // Through the public port, admin paths are ordinary requests: routed by Host, never admin's.
    for (const host of ['web', 'localhost', `127.0.0.1:${adminPort}`]) {
      for (const path of ADMIN_PATHS) {
        sent++;
        const reply = await send('127.0.0.1', port, 'GET', path, { host }).catch((e: Error) => ({
          status: 0,
          body: e.message,
        }));
        if (reply.body === 'pong' || reply.body.includes('"routers"') || reply.body.includes('uptime')) {
          failed++;
          problems.push(`router port answered admin ${path} (Host ${host})`);
        } else if (host === 'web' && !(reply.status === 200 && reply.body.startsWith('web-1'))) {
          failed++;
          problems.push(`router port: ${path} with Host web got ${reply.status}, not the backend`);
        }
      }
      sent++;
      await send('127.0.0.1', port, 'POST', '/admin/shutdown', { host }).catch(() => undefined);
    }
    await sleep(300);
    if (!f.router.alive()) problems.push('POST /admin/shutdown on the router port stopped the process');

    // Bound to 127.0.0.1 only: another loopback address must not reach it.
    sent++;
    const other = await answersOn('127.0.0.2', adminPort);
    if (other) problems.push(`admin answers on 127.0.0.2:${adminPort}: bound beyond 127.0.0.1`);

    // Shutdown without a token, with a wrong token, and with a GET: all refused, process stays.
    const attempts: [string, string, Record<string, string>][] = [
      ['POST', 'no token', { host: 'localhost' }],
      ['POST', 'wrong token', { host: 'localhost', authorization: 'Bearer not-the-token' }],
      ['POST', 'basic auth', { host: 'localhost', authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['GET', 'GET', { host: 'localhost' }],
    ];
    for (const [method, label, headers] of attempts) {
      if (!f.router.alive()) break;
      sent++;
      const reply = await send('127.0.0.1', adminPort, method, '/admin/shutdown', headers).catch(
        (e: Error) => ({
          status: 0,
          body: e.message,
        }),
      );
      await sleep(500);
      const refused = [401, 403, 404, 405].includes(reply.status);
      if (!refused || !f.router.alive()) {
        failed++;
        problems.push(
          `${method} /admin/shutdown (${label}) got ${reply.status}${f.router.alive() ? '' : ' and the router shut down'}`,
        );
        // An accepted shutdown ends the process: later attempts would only repeat this.
        if (reply.status >= 200 && reply.status < 300) break;
      }
    }
    return {
      sent,
      failed,
      wrongBackend: 0,
      leakedBytes: 0,
      rssKb: f.router.rssKb(),
      peakRssKb: rss.stop(),
      problems,
    };
  },
};

/** True when something answers HTTP on `address:port`. */
async function answersOn(address: string, port: number): Promise<boolean> {
  try {
    const reply = await send(address, port, 'GET', '/admin/ping', { host: 'localhost' });
    return reply.status > 0;
  } catch {
    return false;
  }
}
