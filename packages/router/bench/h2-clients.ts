/**
 * undici (`allowH2`) against node:http2 as the upstream HTTP/2 client, on the points a proxy
 * needs, then speed: response trailers, request trailers, h2c (prior knowledge), cancellation
 * reaching the server as RST_STREAM, flow control with a slow reader, and requests/s with 64
 * concurrent small requests. Run: `npx tsx packages/router/bench/h2-clients.ts` (docs/http2.md
 * has the results and the choice).
 */
import { once } from 'node:events';
import {
  connect,
  constants,
  createSecureServer,
  createServer,
  type Http2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createTestPki } from '@switchyard/testkit';
import { Agent, request } from 'undici';

const BIG = 64 * 1024 * 1024;
let lastRst: number | undefined;

function handler(stream: ServerHttp2Stream, headers: Record<string, unknown>): void {
  const path = headers[':path'];
  stream.on('close', () => {
    if (path === '/hang') lastRst = stream.rstCode;
  });
  stream.on('error', () => {});
  if (path === '/trailers') {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
    stream.end('body');
    return;
  }
  if (path === '/echo-trailers') {
    stream.respond({ ':status': 200 }, { waitForTrailers: true });
    let got: Record<string, unknown> = {};
    stream.on('trailers', (t) => {
      got = t;
    });
    stream.resume();
    stream.on('end', () => {
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'x-seen': String(got['x-req-trailer'] ?? 'none') }),
      );
      stream.end();
    });
    return;
  }
  if (path === '/hang') return;
  if (path === '/big') {
    stream.respond({ ':status': 200 });
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < BIG) {
        sent += chunk.length;
        if (!stream.write(chunk)) return void stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
    return;
  }
  stream.respond({ ':status': 200 });
  stream.end('ok');
}

async function listen(server: Http2Server): Promise<number> {
  server.on('stream', handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);

async function main(): Promise<void> {
  const pki = await createTestPki();
  const leaf = await pki.leaf('up', { cn: 'up.test', dns: ['up.test'], ip: ['127.0.0.1'] });
  const tlsPort = await listen(
    createSecureServer({ key: leaf.keyPem, cert: leaf.certPem, allowHTTP1: true }),
  );
  const h2cPort = await listen(createServer());
  const results: Record<string, Record<string, string>> = { undici: {}, 'node:http2': {} };

  // --- undici with allowH2 (HTTP/2 only over TLS by ALPN) ---
  // One connection, up to 100 streams on it (undici's `pipelining` is its per-connection stream limit on h2).
  const agent = new Agent({
    allowH2: true,
    connect: { ca: pki.ca.certPem },
    connections: 1,
    pipelining: 100,
  });
  const base = `https://127.0.0.1:${tlsPort}`;
  {
    const r = await request(`${base}/trailers`, { dispatcher: agent });
    await r.body.text();
    results.undici!.trailers = JSON.stringify(r.trailers);
  }
  // undici has no API to send request trailers at all.
  results.undici!.requestTrailers = 'no API';
  try {
    const r = await request(`http://127.0.0.1:${h2cPort}/`, {
      dispatcher: new Agent({ allowH2: true }),
      headersTimeout: 2000,
    });
    results.undici!.h2c = `status ${r.statusCode} (spoke HTTP/1.1 to an h2c server?)`;
  } catch (e) {
    results.undici!.h2c = `fails: ${(e as Error).message}`;
  }
  {
    lastRst = undefined;
    const ac = new AbortController();
    const p = request(`${base}/hang`, { dispatcher: agent, signal: ac.signal }).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await p;
    await new Promise((r) => setTimeout(r, 100));
    results.undici!.cancel = `server saw rstCode ${lastRst}`;
  }
  {
    const before = rss();
    const r = await request(`${base}/big`, { dispatcher: agent });
    let n = 0;
    for await (const chunk of r.body) {
      n += (chunk as Buffer).length;
      if (n % (8 * 2 ** 20) < 65536) await new Promise((res) => setTimeout(res, 20));
    }
    results.undici!.slowReader64MiB = `${n === BIG ? 'complete' : 'short'}, RSS +${rss() - before} MiB`;
  }
  results.undici!.reqPerSec = String(
    await speed((i) => request(`${base}/r${i}`, { dispatcher: agent }).then((r) => r.body.dump())),
  );
  await agent.close();

  // --- node:http2 ---
  const session = connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca.certPem });
  const call = (path: string, opts: { signal?: AbortSignal } = {}) =>
    new Promise<{ trailers: unknown; bytes: number }>((resolve, reject) => {
      const s = session.request({ ':path': path }, opts);
      let trailers: unknown;
      let bytes = 0;
      s.on('trailers', (t) => {
        trailers = t;
      });
      s.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      s.on('end', () => resolve({ trailers, bytes }));
      s.on('error', reject);
    });
  {
    const r = await call('/trailers');
    const t = r.trailers as Record<string, string>;
    results['node:http2']!.trailers = JSON.stringify({
      'grpc-status': t['grpc-status'],
      'grpc-message': t['grpc-message'],
    });
  }
  {
    const s = session.request({ ':path': '/echo-trailers', ':method': 'POST' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'x-req-trailer': 'yes' }));
    let seen: unknown;
    s.on('trailers', (t) => {
      seen = t['x-seen'];
    });
    s.end('x');
    s.resume();
    await once(s, 'end');
    results['node:http2']!.requestTrailers = `server saw x-req-trailer=${seen}`;
  }
  {
    const plain = connect(`http://127.0.0.1:${h2cPort}`);
    const s = plain.request({ ':path': '/' });
    s.resume();
    const [h] = (await once(s, 'response')) as [Record<string, unknown>];
    results['node:http2']!.h2c = `status ${h[':status']}`;
    plain.close();
  }
  {
    lastRst = undefined;
    const ac = new AbortController();
    const p = call('/hang', { signal: ac.signal }).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await p;
    await new Promise((r) => setTimeout(r, 100));
    results['node:http2']!.cancel = `server saw rstCode ${lastRst} (CANCEL = ${constants.NGHTTP2_CANCEL})`;
  }
  {
    const before = rss();
    const s = session.request({ ':path': '/big' });
    let n = 0;
    for await (const chunk of s) {
      n += (chunk as Buffer).length;
      if (n % (8 * 2 ** 20) < 65536) await new Promise((res) => setTimeout(res, 20));
    }
    results['node:http2']!.slowReader64MiB =
      `${n === BIG ? 'complete' : 'short'}, RSS +${rss() - before} MiB`;
  }
  results['node:http2']!.reqPerSec = String(await speed((i) => call(`/r${i}`)));
  session.close();
  await pki.dispose();
  console.log(JSON.stringify({ node: process.version, ...results }, null, 2));
  process.exit(0);
}

/** Requests per second for 20000 requests, 64 in flight, after 2000 warm-up requests. */
async function speed(one: (i: number) => Promise<unknown>): Promise<number> {
  const runN = async (total: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < total) await one(next++);
      }),
    );
  };
  await runN(2000);
  const t0 = process.hrtime.bigint();
  await runN(20_000);
  return Math.round(20_000 / (Number(process.hrtime.bigint() - t0) / 1e9));
}

void main();
