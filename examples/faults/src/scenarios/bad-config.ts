/**
 * Bad configs: while loaded, the config file is replaced by broken versions (syntax error,
 * unknown option, bad dtab, wrong type, a change that needs a restart, an empty and a truncated
 * file). Each must be refused with a log line and the running routing must keep serving unchanged.
 */
import { linkerConfig, replaceFile } from '../config.js';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe, sleep, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

/** A reload with a broken config keeps the old routing. */
export const badConfig: Scenario = {
  name: 'bad-config',
  description: '7 broken configs written under load; each refused, old routing keeps serving',
  timeoutMs: 120_000,
  async run(ctx) {
    const f = await startFixture(ctx, {
      services: { 'web-v1': ['v1-a', 'v1-b'], 'web-v2': ['v2-a'] },
      dtab: '/svc/web => /#/io.l5d.fs/web-v1',
    });
    const good = linkerConfig({ rootDir: f.rootDir, servers: [{}], dtab: '/svc/web => /#/io.l5d.fs/web-v1' });
    const goodText = JSON.stringify(good, null, 2);
    const routers = (good.routers as Record<string, unknown>[])[0]!;
    const broken: Record<string, string> = {
      'syntax error': goodText.replace('"routers": [', '"routers": [[').replace('web-v1', 'web-v2'),
      'unknown option': JSON.stringify({
        ...good,
        routers: [{ ...routers, dtab: '/svc/web => /#/io.l5d.fs/web-v2', clearContxt: true }],
      }),
      'bad dtab': JSON.stringify({ ...good, routers: [{ ...routers, dtab: '/svc/web => ' }] }),
      'wrong type': JSON.stringify({
        ...good,
        routers: [{ ...routers, dtab: '/svc/web => /#/io.l5d.fs/web-v2', bindingTimeoutMs: 'soon' }],
      }),
      // `workers` is read once at start: a reload that changes it is refused (with the dtab change).
      'needs restart': JSON.stringify({
        ...good,
        workers: 2,
        routers: [{ ...routers, dtab: '/svc/web => /#/io.l5d.fs/web-v2' }],
      }),
      empty: '',
      truncated: goodText.slice(0, Math.floor(goodText.length / 2)).replace('web-v1', 'web-v2'),
    };
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const v1 = new Set(['v1-a', 'v1-b']);
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [{ host: 'web', backends: v1 }],
      concurrency: 8,
    });
    const problems: string[] = [];
    let checks = { sent: 0, failed: 0, wrongBackend: 0 };
    for (const [label, text] of Object.entries(broken)) {
      const mark = f.router.logs.length;
      await replaceFile(f.router.configPath, text);
      try {
        await f.router.waitForLog(
          (l) => l.msg === 'kept the running configuration' || l.msg === 'reload failed',
          10_000,
          mark,
        );
      } catch {
        problems.push(`${label}: no refusal logged within 10 s`);
      }
      if (f.router.logs.slice(mark).some((l) => l.msg === 'configuration reloaded')) {
        problems.push(`${label}: the broken config was applied`);
      }
      await sleep(200);
      const check = await probe({ port }, { host: 'web', backends: v1 }, 10);
      checks = {
        sent: checks.sent + check.sent,
        failed: checks.failed + check.failed,
        wrongBackend: checks.wrongBackend + check.wrongBackend,
      };
    }
    const result = await load.stop();
    const counts = loadCounts(result, f.router, rss.stop());
    return {
      ...counts,
      sent: counts.sent + checks.sent,
      failed: counts.failed + checks.failed,
      wrongBackend: counts.wrongBackend + checks.wrongBackend,
      problems,
    };
  },
};
