/**
 * Endpoint churn: under load, the io.l5d.fs file of a service is rewritten every 250 ms with a
 * random subset of its backends (removed backends stay up, as in a rolling update). No request may
 * fail, none may reach another service, and after the last rewrite only the listed backends answer.
 */
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { eventually, probe, sleep, startLoad } from '../load.js';
import { seededRandom } from '../random.js';
import { sampleRss } from '../rss.js';

const POOL = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];

/** Backends added and removed through the fs namer while loaded. */
export const endpointChurn: Scenario = {
  name: 'endpoint-churn',
  description: '20 rewrites of an io.l5d.fs file under load; no failures, final set honoured',
  timeoutMs: 90_000,
  async run(ctx) {
    const random = seededRandom(ctx.seed);
    const f = await startFixture(ctx, { services: { web: POOL, api: ['api-1'] } });
    await f.setService('web', POOL.slice(0, 3));
    const rss = sampleRss(f.router.pid);
    const pool = new Set(POOL);
    const port = f.router.ports[0]!;
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [{ host: 'web', backends: pool }, f.target('api')],
      concurrency: 12,
    });
    let last: string[] = [];
    for (let i = 0; i < 20; i++) {
      const size = 1 + Math.floor(random() * POOL.length);
      last = [...POOL].sort(() => random() - 0.5).slice(0, size);
      await f.setService('web', last);
      await sleep(250);
    }
    // The namer applies changes within its poll interval (500 ms); allow a few.
    const settled = await eventually(async () => {
      const check = await probe({ port }, { host: 'web', backends: new Set(last) }, 20);
      return check.failed === 0 && check.wrongBackend === 0;
    }, 5000);
    const result = await load.stop();
    const final = await probe({ port }, { host: 'web', backends: new Set(last) }, 40);
    const counts = loadCounts(result, f.router, rss.stop());
    return {
      ...counts,
      sent: counts.sent + final.sent,
      failed: counts.failed + final.failed,
      wrongBackend: counts.wrongBackend + final.wrongBackend,
      problems: settled ? [] : [`the final endpoint set [${last.join(', ')}] was not honoured within 5 s`],
    };
  },
};
