/**
 * Flow control end to end on HTTP/2: 100 MiB streamed from an h2c backend through the router
 * (h2c server, `client.protocol: h2c`) to an HTTP/2 client that reads slowly, and 100 MiB
 * uploaded the other way. Back-pressure must hold the body at the windows and socket buffers.
 * The router runs in a process of its own (router-memory.ts), so its resident-memory growth is
 * measured apart from this process's client and backend; it is printed and bounded (not a timing
 * assertion). Issue 17's target for a body is 32 MiB; the router grew 35–56 MiB here on Node
 * 20–24 (garbage frames and read buffers awaiting V8's collection, not bodies held: see
 * docs/performance.md#memory), so the bound stays the earlier 80 MiB, below one buffered body.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { routerRssGrowth } from './router-memory.js';

const MIB = 1024 * 1024;
const TOTAL = 100 * MIB;
const CHUNK = Buffer.alloc(64 * 1024, 7);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** An h2c backend: a GET answers `/down/<n>` bytes, a POST answers the byte count it received. */
async function startH2Backend(): Promise<number> {
  const backend = http2.createServer();
  backend.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200 });
    let received = 0;
    stream.on('data', (c: Buffer) => (received += c.length));
    stream.on('end', () => {
      if (headers[':method'] === 'POST') stream.end(String(received));
      else void pump(stream, Number(String(headers[':path']).slice('/down/'.length)));
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => backend.close(() => r())));
  return (backend.address() as AddressInfo).port;
}

/** Writes `total` bytes to `w`, waiting for 'drain' whenever it asks to. */
async function pump(w: NodeJS.WritableStream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    const n = Math.min(CHUNK.length, total - sent);
    if (!w.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n)))
      await new Promise((r) => w.once('drain', r));
  }
  w.end();
}

/** GETs `size` bytes; `slow`: reads 1 MiB, then stops for 20 ms, and so on. */
function download(session: http2.ClientHttp2Session, size: number, slow: boolean): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = session.request({ ':path': `/down/${size}`, ':authority': 'web.test' });
    let n = 0;
    let sinceStop = 0;
    s.on('data', (c: Buffer) => {
      n += c.length;
      sinceStop += c.length;
      if (slow && sinceStop >= MIB) {
        sinceStop = 0;
        s.pause();
        setTimeout(() => s.resume(), 20);
      }
    });
    s.on('end', () => resolve(n));
    s.on('error', reject);
    s.end();
  });
}

/** POSTs `size` bytes; resolves with the backend's count. */
function upload(session: http2.ClientHttp2Session, size: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const s = session.request({ ':path': '/up', ':method': 'POST', ':authority': 'web.test' });
    let body = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (body += c));
    s.on('end', () => resolve(body));
    s.on('error', reject);
    void pump(s, size);
  });
}

describe('HTTP/2 flow control through the router', () => {
  it('a 100 MiB download to a slow reader and a 100 MiB upload stay within a bounded router RSS', {
    timeout: 180_000,
  }, async () => {
    const backendPort = await startH2Backend();
    let session: http2.ClientHttp2Session | undefined;
    const connect = (port: number) => {
      session ??= http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      return session;
    };
    cleanup.push(async () => session?.destroy());
    const { result, growth } = await routerRssGrowth(
      cleanup,
      { dtab: `/svc/big => /$/inet/127.0.0.1/${backendPort}`, h2: true },
      async (port) => [await download(connect(port), 1024, false), await upload(connect(port), 1024)],
      async (port) => [await download(connect(port), TOTAL, true), await upload(connect(port), TOTAL)],
    );
    console.log(`h2 100 MiB down (slow reader) + 100 MiB up: router RSS +${(growth / MIB).toFixed(1)} MiB`);
    expect(result).toEqual([TOTAL, String(TOTAL)]);
    // Buffering either body would add ≥ 100 MiB; flow control keeps it to windows and buffers.
    expect(growth).toBeLessThan(80 * MIB);
  });
});
