/**
 * Reload of every section under load: while traffic flows on the router's first port, the config
 * file is rewritten to change one section at a time — a server added, the dtab, the namers, the
 * identifiers, telemetry (which also rebuilds the admin: a Prometheus prefix), the admin moved to
 * another port, limits, and the added server removed while the first one's settings change in
 * place. No request on the port that stays may fail, each reload must apply (version +1, a log
 * line), and the end state must show in `/admin/config.json` and `config/reloads/applied`.
 */
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { linkerConfig, replaceFile, writeService } from '../config.js';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

/** A loopback port nothing listens on now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** GET a JSON admin path. */
function adminJson(port: number, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch (error) {
          reject(error);
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

/** One step: a description and the config it writes. */
interface Step {
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** Checked after the reload applied; returns problems. */
  readonly check?: () => Promise<string[]>;
}

export const reloadEverything: Scenario = {
  name: 'reload-everything',
  description:
    '8 reloads under load, one section each (server added/removed, dtab, namers, identifier, telemetry, admin, limits); no failures on the port that stays',
  timeoutMs: 180_000,
  async run(ctx) {
    const services = { web: ['w1', 'w2'], 'web-alt': ['w1', 'w2'], api: ['a1'] };
    const f = await startFixture(ctx, { services });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    // A second namer root with the same services: a namer change must not move traffic elsewhere.
    const otherRoot = join(ctx.dir, 'disco2');
    await mkdir(otherRoot);
    for (const [service, names] of Object.entries(services)) {
      await writeService(
        otherRoot,
        service,
        names.map((n) => f.backends.get(n)!),
      );
    }
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [f.target('web'), f.target('api')],
      concurrency: 8,
    });
    const added = await freePort();
    const movedAdmin = await freePort();
    let adminPort = f.router.adminPort!;
    // Each step keeps what the ones before it changed.
    let rootDir = f.rootDir;
    let servers: Record<string, unknown>[] = [{}];
    let extra: Record<string, unknown> = {};
    let routerExtra: Record<string, unknown> = {};
    let admin: Record<string, unknown> = {};
    const config = () => {
      const base = linkerConfig({ rootDir, servers, admin });
      const routers = (base.routers as Record<string, unknown>[]).map((r) => ({ ...r, ...routerExtra }));
      return { ...base, ...extra, routers };
    };
    let probes = { sent: 0, failed: 0, wrongBackend: 0 };
    const probeAt = async (p: number) => {
      const r = await probe({ port: p }, f.target('web'), 5);
      probes = {
        sent: probes.sent + r.sent,
        failed: probes.failed + r.failed,
        wrongBackend: probes.wrongBackend + r.wrongBackend,
      };
      return r.failed === 0 ? [] : [`${r.failed}/5 requests to port ${p} failed`];
    };
    const steps: Step[] = [
      {
        name: 'add a server',
        config: (() => {
          servers = [{}, { port: added }];
          return config();
        })(),
        check: () => probeAt(added),
      },
      {
        name: 'dtab',
        config: (() => {
          routerExtra = { ...routerExtra, dtab: '/svc => /#/io.l5d.fs; /svc/web => /#/io.l5d.fs/web-alt' };
          return config();
        })(),
      },
      {
        name: 'namers',
        config: (() => {
          rootDir = otherRoot;
          return config();
        })(),
      },
      {
        name: 'identifier',
        config: (() => {
          routerExtra = { ...routerExtra, identifier: [{ kind: 'io.l5d.header.token', header: 'Host' }] };
          return config();
        })(),
      },
      {
        name: 'telemetry',
        config: (() => {
          extra = {
            telemetry: [
              { kind: 'io.l5d.recentRequests', sampleRate: 1 },
              { kind: 'io.l5d.prometheus', prefix: 'sy_' },
            ],
          };
          return config();
        })(),
      },
      {
        name: 'admin',
        config: (() => {
          admin = { port: movedAdmin };
          return config();
        })(),
        check: async () => {
          adminPort = movedAdmin;
          const status = await adminJson(adminPort, '/admin/config.json');
          return typeof status.version === 'number'
            ? []
            : ['/admin/config.json has no version on the new admin port'];
        },
      },
      {
        name: 'limits',
        config: (() => {
          routerExtra = { ...routerExtra, limits: { server: { rps: 1_000_000, burst: 1_000_000 } } };
          return config();
        })(),
      },
      {
        name: 'remove the added server, change the first in place',
        config: (() => {
          servers = [{ keepAliveTimeoutMs: 4000 }];
          return config();
        })(),
      },
    ];
    const problems: string[] = [];
    for (const [index, step] of steps.entries()) {
      const mark = f.router.logs.length;
      await replaceFile(f.router.configPath, JSON.stringify(step.config));
      const line = await f.router
        .waitForLog(
          (l) => l.msg === 'configuration reloaded' || l.msg === 'kept the running configuration',
          20_000,
          mark,
        )
        .catch(() => undefined);
      if (line?.msg !== 'configuration reloaded') {
        problems.push(
          `step ${index + 1} (${step.name}) did not apply: ${line ? JSON.stringify(f.router.logs.slice(mark)) : 'no log line in 20 s'}`,
        );
        continue;
      }
      if (line.version !== index + 2)
        problems.push(
          `step ${index + 1} (${step.name}): version ${String(line.version)}, expected ${index + 2}`,
        );
      problems.push(...((await step.check?.()) ?? []));
    }
    const result = await load.stop();
    const status = await adminJson(adminPort, '/admin/config.json').catch(
      () => ({}) as Record<string, unknown>,
    );
    if (status.version !== steps.length + 1 || status.lastError !== undefined) {
      problems.push(
        `/admin/config.json: version ${String(status.version)}, lastError ${JSON.stringify(status.lastError)}`,
      );
    }
    const metrics = await adminJson(adminPort, '/admin/metrics.json').catch(
      () => ({}) as Record<string, unknown>,
    );
    if (metrics['config/reloads/applied'] !== steps.length) {
      problems.push(
        `config/reloads/applied is ${String(metrics['config/reloads/applied'])}, expected ${steps.length}`,
      );
    }
    const counts = loadCounts(result, f.router, rss.stop());
    return {
      ...counts,
      sent: counts.sent + probes.sent,
      failed: counts.failed + probes.failed,
      wrongBackend: counts.wrongBackend + probes.wrongBackend,
      problems,
      notes: [...(counts.notes ?? []), `${steps.length} reloads: ${steps.map((s) => s.name).join(', ')}`],
    };
  },
};
