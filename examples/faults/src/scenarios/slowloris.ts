/**
 * Slowloris: 40 connections trickle a request head one header line per second and never finish
 * it. The router must cut them at its headers timeout (default 10 s, plus 5 s slack for the
 * timer's check interval), forward nothing of them, and keep serving normal load meanwhile.
 */
import type { Socket } from 'node:net';
import { loadCounts, startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { sleep, startLoad } from '../load.js';
import { rawConnect } from '../raw.js';
import { sampleRss } from '../rss.js';

const CONNECTIONS = 40;
/** The headers timeout the router promises by default, ms. */
const HEADERS_TIMEOUT_MS = 10_000;
const SLACK_MS = 5_000;

/** Slow request heads are cut at the headers timeout. */
export const slowloris: Scenario = {
  name: 'slowloris',
  description: `${CONNECTIONS} never-finished request heads are cut within ${(HEADERS_TIMEOUT_MS + SLACK_MS) / 1000} s; normal load unaffected`,
  timeoutMs: 90_000,
  async run(ctx) {
    const f = await startFixture(ctx, { services: { web: ['web-1', 'web-2'], slow: ['slow-1'] } });
    const rss = sampleRss(f.router.pid);
    const port = f.router.ports[0]!;
    const slowBackend = f.backends.get('slow-1')!;
    const load = startLoad({ signal: ctx.signal, port, targets: [f.target('web')], concurrency: 4 });
    const started = Date.now();
    const cutAfter: number[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = await rawConnect(port);
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => cutAfter.push(Date.now() - started));
      socket.write('GET / HTTP/1.1\r\nHost: slow\r\n');
    }
    ctx.defer(() => {
      for (const s of sockets) s.destroy();
    });
    const limit = HEADERS_TIMEOUT_MS + SLACK_MS;
    let line = 0;
    while (cutAfter.length < CONNECTIONS && Date.now() - started < limit && !ctx.signal.aborted) {
      await sleep(1000);
      for (const socket of sockets) if (!socket.destroyed) socket.write(`X-Slow-${line}: ${line}\r\n`);
      line++;
    }
    const result = await load.stop();
    const problems: string[] = [];
    const open = CONNECTIONS - cutAfter.length;
    if (open > 0) problems.push(`${open}/${CONNECTIONS} slow connections still open after ${limit / 1000} s`);
    const counts = loadCounts(result, f.router, rss.stop());
    const slowest = cutAfter.length > 0 ? Math.max(...cutAfter) : undefined;
    return {
      ...counts,
      sent: counts.sent + CONNECTIONS,
      failed: counts.failed + open,
      leakedBytes: slowBackend.bytes,
      problems,
      notes: [
        ...(counts.notes ?? []),
        `slow connections cut: ${cutAfter.length}/${CONNECTIONS}${slowest === undefined ? '' : `, last after ${(slowest / 1000).toFixed(1)} s`}`,
      ],
    };
  },
};
