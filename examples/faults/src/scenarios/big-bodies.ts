/**
 * Big bodies and slow readers: a 1 GiB upload and a 1 GiB download stream through the router,
 * byte-exact, and four slow readers each pull 64 MiB while pausing. The router's RSS growth over
 * its warm baseline must stay under 100 MiB (docs/router.md: bodies stream, never buffer).
 */
import http from 'node:http';
import { startFixture } from '../fixture.js';
import type { Scenario } from '../harness.js';
import { probe, sleep } from '../load.js';
import { sampleRss } from '../rss.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const RSS_BUDGET_KB = 100 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 'u');

/** Uploads `bytes` to `port`; resolves with the backend's answer. */
function upload(port: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/upload',
        agent: false,
        headers: { host: 'web', 'content-length': bytes },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      },
    );
    req.on('error', reject);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        const more = req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
        if (left === 0) req.end();
        else if (!more) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Downloads `bytes`; a slow reader pauses `pauseMs` after every MiB. Resolves with bytes read. */
function download(port: number, bytes: number, pauseMs = 0): Promise<{ status: number; read: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: `/download?bytes=${bytes}`, agent: false, headers: { host: 'web' } },
        (res) => {
          let read = 0;
          let sinceBreak = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            sinceBreak += chunk.length;
            if (pauseMs > 0 && sinceBreak >= MiB) {
              sinceBreak = 0;
              res.pause();
              setTimeout(() => res.resume(), pauseMs);
            }
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, read }));
          res.on('error', reject);
        },
      )
      .on('error', reject);
  });
}

/** 1 GiB each way and slow readers in bounded memory. */
export const bigBodies: Scenario = {
  name: 'big-bodies',
  description: '1 GiB up, 1 GiB down, 4 slow readers × 64 MiB; byte-exact, router RSS growth < 100 MiB',
  timeoutMs: 180_000,
  async run(ctx) {
    const f = await startFixture(ctx, { services: { web: ['web-1'] } });
    const port = f.router.ports[0]!;
    // Warm up (JIT, pools) before taking the baseline.
    const warm = await probe({ port }, f.target('web'), 50);
    await sleep(500);
    const baseline = f.router.rssKb();
    const rss = sampleRss(f.router.pid, 50);
    const problems: string[] = [];
    const notes: string[] = [];
    let failed = warm.failed;

    // Upload and download at the same time: both directions stream through the router at once.
    let started = performance.now();
    const [up, down] = await Promise.all([
      upload(port, GiB).catch((e: Error) => e.message),
      download(port, GiB).catch(() => ({ status: 0, read: -1 })),
    ]);
    notes.push(`1 GiB up and 1 GiB down together: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (up !== `200 web-1 ${GiB}`) {
      failed++;
      problems.push(`upload: expected "200 web-1 ${GiB}", got "${up}"`);
    }
    if (down.status !== 200 || down.read !== GiB) {
      failed++;
      problems.push(`download: status ${down.status}, ${down.read} of ${GiB} bytes`);
    }
    started = performance.now();
    const slow = await Promise.all(
      Array.from({ length: 4 }, () => download(port, 64 * MiB, 60).catch(() => ({ status: 0, read: -1 }))),
    );
    notes.push(`slow readers: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const short = slow.filter((s) => s.status !== 200 || s.read !== 64 * MiB).length;
    if (short > 0) {
      failed += short;
      problems.push(`${short}/4 slow readers got a short or failed body`);
    }
    const peak = rss.stop();
    const growth = peak - baseline;
    notes.push(
      `RSS baseline ${(baseline / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB, growth ${(growth / 1024).toFixed(1)} MiB`,
    );
    if (growth > RSS_BUDGET_KB)
      problems.push(`router RSS grew ${(growth / 1024).toFixed(1)} MiB (budget 100 MiB)`);
    if (!f.router.alive()) problems.push('the router process died');
    return {
      sent: warm.sent + 6,
      failed,
      wrongBackend: warm.wrongBackend,
      leakedBytes: 0,
      rssKb: f.router.rssKb(),
      peakRssKb: peak,
      problems,
      notes,
    };
  },
};
