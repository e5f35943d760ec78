/**
 * `pnpm --filter @switchyard/router bench:memory:idle` — what an idle keep-alive client connection
 * costs a server's memory, side by side in one run (issue 17 item 3):
 * - node:http: a node:http server answering by itself (Node's own per-socket cost);
 * - bare: node:http + one undici Pool pass-through (bench/memory-child.ts);
 * - router: Switchyard, one route, default layers;
 * - nginx: `proxy_pass`, when installed.
 * CONNECTIONS (10 000) sockets each send one request, read the answer and stay open (keep-alive
 * timeouts are 600 s). The server is GC'd before and after; per connection = (after − before) / N
 * for RSS and for the V8 heap. Upstream connections a proxy opened meanwhile are included.
 * Env: CONNECTIONS, BATCH (100 requests in flight while opening), BENCH_SNAPSHOT=1 (writes a heap
 * snapshot of each Node server with its connections open to .bench-out/idle-<server>.heapsnapshot,
 * for bench/heap-summary.ts). Not a test: it asserts nothing.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Proc, rss, startChild, startNginx } from './memory-procs.js';

const N = Number(process.env.CONNECTIONS ?? 10_000);
const BATCH = Number(process.env.BATCH ?? 100);
const SNAPSHOT = process.env.BENCH_SNAPSHOT === '1';
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.bench-out');

/** Opens a connection, sends one GET, resolves once the whole answer arrived (socket left open). */
async function openIdle(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.setEncoding('latin1');
  await once(s, 'connect');
  s.write('GET /small HTTP/1.1\r\nHost: big\r\n\r\n');
  let got = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: string) => {
      got += c;
      if (got.includes('\r\n\r\n') && (got.endsWith('ok') || got.endsWith('0\r\n\r\n'))) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => reject(new Error(`closed after ${JSON.stringify(got)}`)));
  });
  return s;
}

interface Row {
  name: string;
  rss: number;
  heap?: number;
  external?: number;
}

async function measure(p: Proc): Promise<Row> {
  // One connection first: the first request compiles and allocates what every later one shares.
  const warm = await openIdle(p.port);
  warm.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const m0 = await p.gc();
  const r0 = rss(p.pid).rss;
  const sockets: Socket[] = [];
  for (let i = 0; i < N; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, N - i) }, () => openIdle(p.port)));
    sockets.push(...batch);
  }
  await new Promise((r) => setTimeout(r, 500));
  const m1 = await p.gc();
  const r1 = rss(p.pid).rss;
  if (SNAPSHOT && m1 !== undefined) await p.ask(`snapshot ${join(outDir, `idle-${p.name}.heapsnapshot`)}`);
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 500));
  return {
    name: p.name,
    rss: (r1 - r0) / N,
    heap: m0 && m1 ? (m1.heapUsed - m0.heapUsed) / N : undefined,
    external: m0 && m1 ? (m1.external - m0.external) / N : undefined,
  };
}

async function main(): Promise<void> {
  if (SNAPSHOT) mkdirSync(outDir, { recursive: true });
  const backend = await startChild('backend');
  console.log(
    `idle keep-alive bench: node ${process.version}, ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(1)}, ${N} connections`,
  );
  const rows: Row[] = [];
  const kb = (b: number | undefined) => (b === undefined ? '-' : (b / 1024).toFixed(2));
  for (const start of [
    () => startChild('backend'),
    () => startChild('bare', backend.port),
    () => startChild('router', backend.port),
    () => startNginx(backend.port),
  ]) {
    const p = await start();
    if (p === undefined) {
      console.log('nginx not installed: its row is skipped');
      continue;
    }
    try {
      rows.push({ ...(await measure(p)), name: p.name === 'backend' ? 'node:http' : p.name });
    } finally {
      await p.stop();
    }
  }
  await backend.stop();
  console.log('server      KiB/conn RSS   KiB/conn heap   KiB/conn external');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(10)} ${kb(r.rss).padStart(13)}   ${kb(r.heap).padStart(13)}   ${kb(r.external).padStart(17)}`,
    );
  }
  const node = rows.find((r) => r.name === 'node:http');
  const router = rows.find((r) => r.name === 'router');
  if (node && router) {
    console.log(
      `router − node:http: RSS ${kb(router.rss - node.rss)} KiB/conn, heap ${kb((router.heap ?? 0) - (node.heap ?? 0))} KiB/conn`,
    );
  }
}

await main();
