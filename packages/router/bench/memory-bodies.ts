/**
 * `pnpm --filter @switchyard/router bench:memory` — what a large body and a slow reader cost a
 * proxy's memory, side by side in one run (issue 17 item 3):
 * - bare: node:http + one undici Pool pass-through (bench/memory-child.ts), the Node baseline;
 * - router: Switchyard, one route, default layers;
 * - nginx: streaming `proxy_pass` (buffering off), when installed;
 * - bare-h2 / router-h2: HTTP/2 client → proxy → h2c backend.
 * Per case: the proxy is GC'd, its RSS read, its peak (VmHWM) reset; the client moves the body;
 * growth = peak − RSS before. Slow reader: the client reads 1 MiB then stops for SLOW_MS; the
 * backend's written bytes minus what the client received is what sits between them (proxy
 * buffers plus three sockets' kernel buffers).
 * Env: BENCH_MIB (1024), SLOW_MS (2000). Not a test: it asserts nothing.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { availableParallelism, loadavg } from 'node:os';
import { MIB, mib, type Proc, resetPeak, rss, startChild, startNginx } from './memory-procs.js';

const SIZE = Number(process.env.BENCH_MIB ?? 1024) * MIB;
const SLOW_MS = Number(process.env.SLOW_MS ?? 2000);
const CHUNK = Buffer.alloc(64 * 1024, 'x');

function download(port: number, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: `/down/${size}`, agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function pump(w: NodeJS.WritableStream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    if (!w.write(CHUNK)) await new Promise((r) => w.once('drain', r));
  }
  w.end();
}

function upload(port: number, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/up',
        headers: { 'content-length': size },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    void pump(req, size);
  });
}

function h2(port: number, method: 'GET' | 'POST', size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const path = method === 'GET' ? `/down/${size}` : '/up';
    const s = session.request({ ':method': method, ':path': path, ':authority': 'big' });
    let n = 0;
    let body = '';
    s.on('data', (c: Buffer) => {
      n += c.length;
      if (method === 'POST') body += c;
    });
    s.on('end', () => {
      session.close();
      resolve(method === 'GET' ? String(n) : body);
    });
    s.on('error', reject);
    if (method === 'POST') void pump(s, size);
    else s.end();
  });
}

/** Reads 1 MiB, stops for SLOW_MS, reports what the backend wrote beyond what arrived. */
async function slowReader(port: number, backend: Proc): Promise<number> {
  const before = (await backend.ask('written')).written!;
  const req = http.get({ host: '127.0.0.1', port, path: `/down/${SIZE}`, agent: false });
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  let n = 0;
  await new Promise<void>((resolve) => {
    res.on('data', (c: Buffer) => {
      n += c.length;
      if (n >= MIB) {
        res.pause();
        resolve();
      }
    });
  });
  await new Promise((r) => setTimeout(r, SLOW_MS));
  const written = (await backend.ask('written')).written! - before;
  req.destroy();
  return written - n;
}

interface Row {
  proxy: string;
  kase: string;
  growth: number;
  heapAfter?: number;
  note?: string;
}

async function measure(proxy: Proc, kase: string, work: () => Promise<string | undefined>): Promise<Row> {
  await proxy.gc();
  const before = rss(proxy.pid).rss;
  resetPeak(proxy.pid);
  const note = await work();
  const peak = rss(proxy.pid).hwm;
  const after = await proxy.gc();
  return { proxy: proxy.name, kase, growth: peak - before, heapAfter: after?.heapUsed, note };
}

async function main(): Promise<void> {
  const backend = await startChild('backend');
  const backendH2 = await startChild('backend-h2');
  const proxies: Proc[] = [await startChild('bare', backend.port), await startChild('router', backend.port)];
  const nginx = await startNginx(backend.port);
  if (nginx !== undefined) proxies.push(nginx);
  else console.log('nginx not installed: its rows are skipped');
  const h2Proxies = [
    await startChild('bare-h2', backendH2.port),
    await startChild('router-h2', backendH2.port),
  ];
  console.log(
    `memory bench: node ${process.version}, ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(1)}, body ${mib(SIZE)} MiB, slow reader stops ${SLOW_MS} ms`,
  );
  const rows: Row[] = [];
  try {
    for (const p of proxies) {
      // Warm the path (first request compiles the parser, opens the upstream connection).
      await download(p.port, MIB);
      rows.push(await measure(p, 'download', async () => `${mib(await download(p.port, SIZE))} MiB`));
      rows.push(await measure(p, 'upload', async () => `${mib(Number(await upload(p.port, SIZE)))} MiB`));
      rows.push(
        await measure(p, 'slow reader', async () => `${mib(await slowReader(p.port, backend))} MiB held`),
      );
    }
    for (const p of h2Proxies) {
      await h2(p.port, 'GET', MIB);
      rows.push(
        await measure(p, 'h2 download', async () => `${mib(Number(await h2(p.port, 'GET', SIZE)))} MiB`),
      );
      rows.push(
        await measure(p, 'h2 upload', async () => `${mib(Number(await h2(p.port, 'POST', SIZE)))} MiB`),
      );
    }
  } finally {
    for (const p of [...proxies, ...h2Proxies, backend, backendH2]) await p.stop();
  }
  console.log('proxy      case          RSS growth MiB   heap after MiB   moved');
  for (const r of rows) {
    console.log(
      `${r.proxy.padEnd(10)} ${r.kase.padEnd(13)} ${mib(r.growth).padStart(14)}   ${(r.heapAfter === undefined ? '-' : mib(r.heapAfter)).padStart(14)}   ${r.note ?? ''}`,
    );
  }
  const by = (proxy: string, kase: string) => rows.find((r) => r.proxy === proxy && r.kase === kase);
  for (const kase of ['download', 'upload', 'slow reader', 'h2 download', 'h2 upload']) {
    const h = kase.startsWith('h2');
    const router = by(h ? 'router-h2' : 'router', kase);
    const bare = by(h ? 'bare-h2' : 'bare', kase);
    if (router === undefined || bare === undefined) continue;
    const extra = by('nginx', kase);
    console.log(
      `${kase}: router − bare ${mib(router.growth - bare.growth)} MiB${extra ? `, nginx ${mib(extra.growth)} MiB` : ''}`,
    );
  }
}

await main();
