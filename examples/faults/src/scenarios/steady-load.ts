/** Steady load: two services, keep-alive clients; every request answered by its own service. */
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

/** Steady keep-alive load on two services with three backends each. */
export const steadyLoad: Scenario = {
  name: 'steady-load',
  description:
    'keep-alive load (4000 requests or 8 s) over 16 connections to 2 services; all 200, all at the right service',
  timeoutMs: 90_000,
  async run(ctx) {
    const f = await startFixture(ctx, {
      services: { web: ['web-1', 'web-2', 'web-3'], api: ['api-1', 'api-2'] },
    });
    const rss = sampleRss(f.router.pid);
    const result = await startLoad({
      signal: ctx.signal,
      port: f.router.ports[0]!,
      targets: [f.target('web'), f.target('api')],
      concurrency: 16,
      total: 4000,
      durationMs: 8000,
    }).done;
    const counts = loadCounts(result, f.router, rss.stop());
    const idle = [...f.backends.keys()].filter((name) => !result.byBackend.get(name));
    return {
      ...counts,
      problems: idle.length > 0 ? [`backends that got no request: ${idle.join(', ')}`] : [],
    };
  },
};
