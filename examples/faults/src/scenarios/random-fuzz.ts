/**
 * Random-bytes fuzz on every port: seeded garbage connections to the router's plain HTTP port, its
 * TLS port (garbage instead of a handshake, and garbage inside a completed handshake) and the
 * admin port. The process must stay up, backends must receive nothing, and every port must serve
 * normally afterwards. Replay a failure with `--seed`.
 */
import http from 'node:http';
import { createTestPki } from '@switchyard/testkit';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe } from '../load.js';
import { randomBytes, seededRandom } from '../random.js';
import { rawExchange } from '../raw.js';
import { sampleRss } from '../rss.js';

const PER_PORT = 150;
const PARALLEL = 15;

/** Seeded garbage on every listening port. */
export const randomFuzz: Scenario = {
  name: 'random-fuzz',
  description: `${PER_PORT} seeded random-byte connections per port (HTTP, TLS, TLS-inside, admin); process stays up and serves`,
  timeoutMs: 120_000,
  async run(ctx) {
    const random = seededRandom(ctx.seed ^ 0x5eed);
    const pki = await createTestPki();
    ctx.defer(() => pki.dispose());
    const leaf = await pki.leaf('router', { cn: 'localhost', dns: ['localhost'] });
    const f = await startFixture(ctx, {
      services: { web: ['web-1', 'web-2'], localhost: ['web-1', 'web-2'] },
      servers: [{}, { tls: { certPath: leaf.certPath, keyPath: leaf.keyPath } }],
    });
    const rss = sampleRss(f.router.pid);
    const [plain, secure] = f.router.ports as [number, number];
    const admin = f.router.adminPort!;
    const jobs: (() => Promise<unknown>)[] = [];
    const garbage = () => randomBytes(random, 1 + Math.floor(random() * 4096));
    for (let i = 0; i < PER_PORT; i++) {
      jobs.push(() => rawExchange(plain, garbage(), { timeoutMs: 1000 }));
      jobs.push(() => rawExchange(secure, garbage(), { timeoutMs: 1000 }));
      jobs.push(() => rawExchange(secure, garbage(), { timeoutMs: 1000, tls: true }));
      jobs.push(() => rawExchange(admin, garbage(), { timeoutMs: 1000 }));
    }
    f.resetBackendBytes();
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && !ctx.signal.aborted) await jobs[next++]!();
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const leakedBytes = f.backendBytes();
    const problems: string[] = [];
    if (!f.router.alive()) problems.push('the router process died');
    const afterPlain = await probe({ port: plain }, f.target('web'), 20);
    const afterTls = await probe(
      { port: secure, tls: { ca: pki.ca.certPem, servername: 'localhost' } },
      f.target('localhost'),
      20,
    );
    const ping = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: admin, path: '/admin/ping', agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve(body));
        })
        .on('error', (e) => resolve(e.message));
    });
    if (ping.trim() !== 'pong') problems.push(`admin /admin/ping afterwards: ${ping.slice(0, 80)}`);
    const counts = loadCounts(
      {
        sent: jobs.length + afterPlain.sent + afterTls.sent,
        failed: afterPlain.failed + afterTls.failed,
        wrongBackend: afterPlain.wrongBackend + afterTls.wrongBackend,
        byBackend: new Map(),
        samples: [...afterPlain.samples, ...afterTls.samples],
      },
      f.router,
      rss.stop(),
    );
    return { ...counts, leakedBytes, problems, notes: [...(counts.notes ?? []), `seed ${ctx.seed}`] };
  },
};
