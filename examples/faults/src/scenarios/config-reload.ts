/**
 * Config reload under load: the config file is rewritten four times, flipping the dtab between two
 * versions of a service. No request may fail, and each new dtab must take over within 10 s.
 */
import { linkerConfig, replaceFile } from '../config.js';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { eventually, probe, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

const dtab = (version: string) => `/svc => /#/io.l5d.fs; /svc/web => /#/io.l5d.fs/web-${version}`;

/** The config file rewritten while loaded. */
export const configReload: Scenario = {
  name: 'config-reload',
  description: '4 dtab reloads by rewriting the config file under load; no failures, each applies',
  timeoutMs: 120_000,
  async run(ctx) {
    const f = await startFixture(ctx, {
      services: { 'web-v1': ['v1-a', 'v1-b'], 'web-v2': ['v2-a', 'v2-b'], api: ['api-1'] },
      dtab: dtab('v1'),
    });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const web = new Set(['v1-a', 'v1-b', 'v2-a', 'v2-b']);
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [{ host: 'web', backends: web }, f.target('api')],
      concurrency: 12,
    });
    const problems: string[] = [];
    let probes = { sent: 0, failed: 0, wrongBackend: 0 };
    for (const version of ['v2', 'v1', 'v2', 'v1']) {
      const mark = f.router.logs.length;
      await replaceFile(
        f.router.configPath,
        JSON.stringify(linkerConfig({ rootDir: f.rootDir, servers: [{}], dtab: dtab(version) })),
      );
      const expected = new Set([`${version}-a`, `${version}-b`]);
      const applied = await eventually(async () => {
        const check = await probe({ port }, { host: 'web', backends: expected }, 10);
        probes = {
          sent: probes.sent + check.sent,
          failed: probes.failed + check.failed,
          // Until the reload applies, the old version answering is expected.
          wrongBackend: probes.wrongBackend,
        };
        return check.failed === 0 && check.wrongBackend === 0;
      }, 10_000);
      if (!applied) problems.push(`the reload to ${version} did not take over within 10 s`);
      if (!f.router.logs.slice(mark).some((l) => l.msg === 'configuration reloaded')) {
        problems.push(`no "configuration reloaded" log line for ${version}`);
      }
    }
    const result = await load.stop();
    const counts = loadCounts(result, f.router, rss.stop());
    return {
      ...counts,
      sent: counts.sent + probes.sent,
      failed: counts.failed + probes.failed,
      problems,
    };
  },
};
