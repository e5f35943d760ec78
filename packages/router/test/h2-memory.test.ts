/**
 * Flow control end to end on HTTP/2: 100 MiB streamed from an h2c backend through the router
 * (h2c server, `client.protocol: h2c`) to an HTTP/2 client that reads slowly, and 100 MiB
 * uploaded the other way. Back-pressure must hold the body at the windows and socket buffers,
 * so resident memory grows by far less than the body; the growth is printed, and bounded
 * generously (not a timing assertion).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createPlainHttpServer } from '@switchyard/tls';
import { describe, expect, it } from 'vitest';
import { fixtures, headerIdentifier } from './helpers.js';

const { cleanup, router } = fixtures(500);
const MIB = 1024 * 1024;
const TOTAL = 100 * MIB;
const CHUNK = Buffer.alloc(64 * 1024, 7);

async function setup(onStream: (stream: http2.ServerHttp2Stream) => void): Promise<http2.ClientHttp2Session> {
  const backend = http2.createServer();
  backend.on('stream', (stream) => {
    stream.on('error', () => {});
    onStream(stream);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => backend.close(() => r())));
  const { port } = await router(`/svc => /$/inet/127.0.0.1/${(backend.address() as AddressInfo).port}`, {
    identifier: headerIdentifier('host'),
    servers: [{ port: 0, createServer: (o) => createPlainHttpServer({ ...o, h2: {} }) }],
    client: { protocol: 'h2c' },
  });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  cleanup.push(async () => session.destroy());
  return session;
}

/** Writes `total` bytes to `w`, waiting for 'drain' whenever it asks to. */
async function pump(w: NodeJS.WritableStream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    if (!w.write(CHUNK)) await new Promise((r) => w.once('drain', r));
  }
  w.end();
}

describe('HTTP/2 flow control through the router', () => {
  it('a 100 MiB download to a slow reader and a 100 MiB upload stay within a bounded RSS', {
    timeout: 120_000,
  }, async () => {
    const session = await setup((stream) => {
      stream.respond({ ':status': 200 });
      let received = 0;
      stream.on('data', (c: Buffer) => (received += c.length));
      stream.on('end', () => {
        if (received > 0) stream.end(String(received));
        else void pump(stream, TOTAL);
      });
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      // Download: the client reads 1 MiB, then stops for 20 ms.
      const got = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ':path': '/down', ':authority': 'web.test' });
        let n = 0;
        let sinceStop = 0;
        s.on('data', (c: Buffer) => {
          n += c.length;
          sinceStop += c.length;
          if (sinceStop >= MIB) {
            sinceStop = 0;
            s.pause();
            setTimeout(() => s.resume(), 20);
          }
        });
        s.on('end', () => resolve(n));
        s.on('error', reject);
        s.end();
      });
      expect(got).toBe(TOTAL);
      // Upload: the backend counts what arrived.
      const echoed = await new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/up', ':method': 'POST', ':authority': 'web.test' });
        let body = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => (body += c));
        s.on('end', () => resolve(body));
        s.on('error', reject);
        void pump(s, TOTAL);
      });
      expect(echoed).toBe(String(TOTAL));
    } finally {
      clearInterval(sample);
    }
    const growth = (peak - before) / MIB;
    console.log(
      `h2 100 MiB down (slow reader) + 100 MiB up: RSS ${Math.round(before / MIB)} MiB → peak ${Math.round(peak / MIB)} MiB (+${growth.toFixed(1)} MiB)`,
    );
    // Buffering either body would add ≥ 100 MiB; flow control keeps it to windows and buffers.
    expect(growth).toBeLessThan(80);
  });
});
