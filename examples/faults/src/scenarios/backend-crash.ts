/**
 * Backend crash: one of three backends dies abruptly (sockets destroyed, port closed) in the
 * middle of keep-alive load. Idempotent requests must be retried elsewhere: no request may fail.
 */
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe, sleep, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

/** A backend killed under load. */
export const backendCrash: Scenario = {
  name: 'backend-crash',
  description: 'one of 3 backends crashes under keep-alive load; zero failed requests',
  timeoutMs: 90_000,
  async run(ctx) {
    const f = await startFixture(ctx, { services: { web: ['web-1', 'web-2', 'web-3'] } });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [f.target('web')],
      concurrency: 24,
      path: '/slow?ms=5',
    });
    await sleep(1500);
    const victim = f.backends.get('web-2')!;
    victim.crash();
    const crashedAt = load.completed;
    await sleep(3000);
    const result = await load.stop();
    const after = await probe({ port }, { host: 'web', backends: new Set(['web-1', 'web-3']) }, 30);
    const counts = loadCounts(result, f.router, rss.stop());
    return {
      ...counts,
      sent: counts.sent + after.sent,
      failed: counts.failed + after.failed,
      wrongBackend: counts.wrongBackend + after.wrongBackend,
      notes: [...(counts.notes ?? []), `crash after ${crashedAt} requests`],
    };
  },
};
