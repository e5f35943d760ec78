/**
 * The malformed-request catalogue over raw sockets. Each request is sent 12 times at once (a
 * dozen was enough to mark every endpoint dead, issue 18); each must get a listed local answer,
 * the backends must receive zero bytes, and afterwards normal requests must reach every backend.
 */
import { startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe, sleep } from '../load.js';
import { rawExchange } from '../raw.js';
import { sampleRss } from '../rss.js';
import { MALFORMED } from './malformed-catalogue.js';

const REPEAT = 12;

/** Malformed and smuggling requests are answered locally and never forwarded. */
export const malformed: Scenario = {
  name: 'malformed',
  description: `${MALFORMED.length} smuggling/malformed requests ×${REPEAT} over raw sockets; local answers, 0 bytes forwarded, no backend marked dead`,
  timeoutMs: 150_000,
  async run(ctx) {
    const names = ['web-1', 'web-2', 'web-3'];
    const f = await startFixture(ctx, { services: { web: names } });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const problems: string[] = [];
    let sent = 0;
    let failed = 0;
    let leakedBytes = 0;
    for (const entry of MALFORMED) {
      f.resetBackendBytes();
      const answers = await Promise.all(
        Array.from({ length: REPEAT }, () => rawExchange(port, entry.bytes, { timeoutMs: 3000 })),
      );
      sent += answers.length;
      const wrong = answers.filter((a) => a.status === undefined || !entry.expect.includes(a.status));
      failed += wrong.length;
      await sleep(50);
      const leaked = f.backendBytes();
      leakedBytes += leaked;
      if (wrong.length > 0 || leaked > 0) {
        const got = [
          ...new Set(answers.map((a) => a.status ?? (a.error ? `error ${a.error}` : 'no answer'))),
        ];
        problems.push(
          `${entry.name}: expected ${entry.expect.join('/')}, got ${got.join(', ')}${wrong.length < REPEAT ? ` (${wrong.length}/${REPEAT} wrong)` : ''}${leaked > 0 ? `; backends received ${leaked} bytes` : ''}`,
        );
      }
    }
    // No backend may have been marked dead: 90 normal requests reach all three.
    const after = await probe({ port }, f.target('web'), 90);
    const idle = names.filter((n) => !after.byBackend.get(n));
    if (idle.length > 0) problems.push(`afterwards no request reached ${idle.join(', ')} (marked dead?)`);
    if (!f.router.alive()) problems.push('the router process died');
    return {
      sent: sent + after.sent,
      failed: failed + after.failed,
      wrongBackend: after.wrongBackend,
      leakedBytes,
      rssKb: f.router.rssKb(),
      peakRssKb: rss.stop(),
      problems,
      notes: after.samples.length > 0 ? [`after: ${after.samples.join(' | ')}`] : [],
    };
  },
};
