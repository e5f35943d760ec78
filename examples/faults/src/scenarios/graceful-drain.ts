/**
 * Graceful drain: SIGTERM while 24 slow requests are in flight on keep-alive connections. Every
 * in-flight request must complete with 200, its response must carry `Connection: close`, and the
 * process must exit 0 within the drain grace.
 */
import { startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { eventually, startLoad } from '../load.js';
import { sampleRss } from '../rss.js';

const IN_FLIGHT = 24;

/** SIGTERM under load drains in-flight requests. */
export const gracefulDrain: Scenario = {
  name: 'graceful-drain',
  description: `SIGTERM with ${IN_FLIGHT} requests in flight: all finish 200 with Connection: close; exit 0`,
  timeoutMs: 60_000,
  async run(ctx) {
    const f = await startFixture(ctx, { services: { web: ['web-1', 'web-2'] } });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    // Warm the keep-alive connections first, so the drained requests ride reused sockets.
    await startLoad({
      signal: ctx.signal,
      port,
      targets: [f.target('web')],
      concurrency: IN_FLIGHT,
      total: IN_FLIGHT * 4,
    }).done;
    const requestsBefore = () => [...f.backends.values()].reduce((sum, b) => sum + b.requests, 0);
    const base = requestsBefore();
    let withoutClose = 0;
    const load = startLoad({
      signal: ctx.signal,
      port,
      targets: [f.target('web')],
      concurrency: IN_FLIGHT,
      total: IN_FLIGHT,
      path: '/slow?ms=2000',
      onAnswer: (answer) => {
        if (!/\bclose\b/i.test(String(answer.headers.connection ?? ''))) withoutClose++;
      },
    });
    const problems: string[] = [];
    const arrived = await eventually(() => requestsBefore() - base >= IN_FLIGHT, 10_000);
    if (!arrived) problems.push(`only ${requestsBefore() - base}/${IN_FLIGHT} requests reached the backends`);
    const rssKb = f.router.rssKb();
    const signalledAt = Date.now();
    f.router.child.kill('SIGTERM');
    const result = await load.done;
    const code = await Promise.race([
      f.router.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000)),
    ]);
    if (code !== 0) problems.push(`exit status ${code}, expected 0`);
    if (withoutClose > 0)
      problems.push(`${withoutClose}/${IN_FLIGHT} drained responses lack Connection: close`);
    return {
      sent: result.sent,
      failed: result.failed,
      wrongBackend: result.wrongBackend,
      leakedBytes: 0,
      rssKb,
      peakRssKb: rss.stop(),
      problems,
      notes: [
        `exited ${((Date.now() - signalledAt) / 1000).toFixed(1)} s after SIGTERM`,
        ...(result.samples.length > 0 ? [`examples: ${result.samples.join(' | ')}`] : []),
      ],
    };
  },
};
