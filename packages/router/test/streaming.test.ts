import http from 'node:http';
import { Readable } from 'node:stream';
import { startBackend } from '@switchyard/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouter } from './helpers.js';
import { type RouterProcess, routerRssGrowth } from './router-memory.js';

const MB = 1024 * 1024;
const TOTAL = 1024 * MB; // issue 4: a 1 GB transfer passes in constant memory
const CHUNK = Buffer.alloc(64 * 1024, 'x');

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A readable of `total` bytes that respects backpressure. */
function source(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      while (sent < total) {
        const n = Math.min(CHUNK.length, total - sent);
        sent += n;
        if (!this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return;
      }
      this.push(null);
    },
  });
}

async function setup(handler: Parameters<typeof startBackend>[0]) {
  const backend = await startBackend(handler);
  const r = await startRouter(`/svc/big => /$/inet/127.0.0.1/${backend.port}`);
  cleanup.push(
    () => backend.close(),
    () => r.router.close({ graceMs: 1000 }),
  );
  return r.port;
}

/** GETs `path`; resolves with the body's length (`progress.bytes` counts it as it comes). */
function download(port: number, path: string, progress = { bytes: 0 }): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          progress.bytes = n;
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** POSTs `total` bytes (chunked, or with a Content-Length); resolves with the answer. */
function upload(port: number, total: number, framing: 'chunked' | 'content-length'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (framing === 'content-length') headers['content-length'] = total;
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    source(total).pipe(req);
  });
}

/**
 * What the router may hold while 1 GiB passes, in live buffers (after a full GC in the router
 * process, so garbage read buffers do not count): a few high-water marks (64 KiB each, typically
 * 0–10 MiB in all, though one read right after a GC has shown up to 32 MiB, so each sample is the
 * lower of two reads); a router that buffered the body would hold at least 256 MiB at the first
 * sample point. The margin is wide on purpose: the bound separates streaming from buffering, it is
 * not a size target.
 */
const LIVE_BOUND = 64 * MB;
/**
 * Peak RSS growth is reported and bounded only far from its noise: garbage read buffers that V8
 * frees when its external-memory trigger runs make it swing (34–105 MiB seen under load on Node
 * 20–24, docs/performance.md#memory). Half the body is a bound no streaming router comes near and a
 * buffering one cannot stay under. The figure against issue 17's 32 MiB target is the memory bench's
 * (`pnpm --filter @switchyard/router bench:memory`), not this test's.
 */
const RSS_BOUND = TOTAL / 2;
/** Where in the transfer the router's live buffers are sampled: a quarter, half, three quarters. */
const SAMPLE_AT = [TOTAL / 4, TOTAL / 2, (3 * TOTAL) / 4];

/**
 * Samples the router's live buffers each time `moved()` passes one of {@link SAMPLE_AT} while
 * `transfer` runs (each sample the lower of two reads back to back); resolves with the transfer's
 * result and the largest sample.
 */
async function sampledWhile<T>(
  router: RouterProcess,
  moved: () => number,
  transfer: Promise<T>,
): Promise<{ result: T; live: number; samples: number }> {
  let done = false;
  const finished = transfer.finally(() => {
    done = true;
  });
  const before = await router.liveBuffers();
  let live = 0;
  let samples = 0;
  for (const at of SAMPLE_AT) {
    while (!done && moved() < at) await new Promise((r) => setTimeout(r, 5));
    if (done) break;
    const first = await router.liveBuffers();
    live = Math.max(live, Math.min(first, await router.liveBuffers()) - before);
    samples++;
  }
  return { result: await finished, live, samples };
}

describe('streaming', () => {
  it('streams a 1 GiB download holding no more than high-water marks', { timeout: 120_000 }, async () => {
    const backend = await startBackend((req, res) => {
      const size = req.url === '/warm' ? 1024 : TOTAL;
      res.setHeader('content-length', size);
      source(size).pipe(res);
    });
    cleanup.push(() => backend.close());
    const received = { bytes: 0 };
    const { result, growth } = await routerRssGrowth(
      cleanup,
      { dtab: `/svc/big => /$/inet/127.0.0.1/${backend.port}` },
      (port) => download(port, '/warm'),
      (port, router) => sampledWhile(router, () => received.bytes, download(port, '/', received)),
    );
    console.log(
      `1 GiB download: router live buffers +${(result.live / MB).toFixed(2)} MiB (max of ${result.samples}), RSS +${(growth / MB).toFixed(1)} MiB`,
    );
    expect(result.result).toBe(TOTAL);
    expect(result.samples).toBe(SAMPLE_AT.length);
    expect(result.live).toBeLessThan(LIVE_BOUND);
    expect(growth).toBeLessThan(RSS_BOUND);
  });

  for (const framing of ['chunked', 'content-length'] as const) {
    it(`streams a 1 GiB ${framing} upload holding no more than high-water marks`, {
      timeout: 120_000,
    }, async () => {
      let arrived = 0;
      const backend = await startBackend((req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
          arrived += c.length;
        });
        req.on('end', () => res.end(`${req.headers['transfer-encoding'] ?? 'length'} ${n}`));
      });
      cleanup.push(() => backend.close());
      const { result, growth } = await routerRssGrowth(
        cleanup,
        { dtab: `/svc/big => /$/inet/127.0.0.1/${backend.port}` },
        (port) => upload(port, 1024, framing),
        (port, router) => {
          arrived = 0;
          return sampledWhile(router, () => arrived, upload(port, TOTAL, framing));
        },
      );
      console.log(
        `1 GiB ${framing} upload: router live buffers +${(result.live / MB).toFixed(2)} MiB (max of ${result.samples}), RSS +${(growth / MB).toFixed(1)} MiB`,
      );
      expect(result.result).toBe(`${framing === 'chunked' ? 'chunked' : 'length'} ${TOTAL}`);
      expect(result.samples).toBe(SAMPLE_AT.length);
      expect(result.live).toBeLessThan(LIVE_BOUND);
      expect(growth).toBeLessThan(RSS_BOUND);
    });
  }

  it("holds a stalled reader's download near the high-water marks: < 16 MiB of live buffers (typically 0.2)", {
    timeout: 120_000,
  }, async () => {
    // The backend writes as fast as it is let; the client reads 1 MiB and then stops for 2 s. The
    // router's live buffers (after a GC, so garbage does not count) are what it holds for the
    // client: a router that kept reading the backend would hold all it read in that time.
    let written = 0;
    const backend = await startBackend((req, res) => {
      if (req.url === '/warm') {
        res.end('warm');
        return;
      }
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    cleanup.push(() => backend.close());
    const { result, growth } = await routerRssGrowth(
      cleanup,
      { dtab: `/svc/big => /$/inet/127.0.0.1/${backend.port}` },
      (port) => download(port, '/warm'),
      async (port, router) => {
        const before = await router.liveBuffers();
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false });
        const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
        let received = 0;
        await new Promise<void>((resolve) => {
          res.on('data', (c: Buffer) => {
            received += c.length;
            if (received >= MB) {
              res.pause();
              resolve();
            }
          });
        });
        await new Promise((r) => setTimeout(r, 2000));
        // Two samples of the steady state, 2 s apart: in ~2 of 16 runs the first read +5–6 MiB
        // (cause not found yet, issue 17); both are printed. Without the forwarder's pause() the
        // router holds +60 MiB here, which the bound catches.
        const first = (await router.liveBuffers()) - before;
        await new Promise((r) => setTimeout(r, 2000));
        const held = Math.min(first, (await router.liveBuffers()) - before);
        console.log(
          `stalled reader: live buffers +${(first / MB).toFixed(2)} MiB at 2 s, min +${(held / MB).toFixed(2)} MiB`,
        );
        const between = written - received;
        req.destroy();
        return { held, between };
      },
    );
    console.log(
      `stalled reader: ${(result.between / MB).toFixed(1)} MiB between backend and client, router live buffers +${(result.held / MB).toFixed(2)} MiB, RSS +${(growth / MB).toFixed(1)} MiB`,
    );
    expect(result.held).toBeLessThan(16 * MB);
  });

  it('applies backpressure: a client that stops reading stops the backend', async () => {
    let written = 0;
    let paused: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      paused = resolve;
    });
    let backendRes: http.ServerResponse | undefined;
    const port = await setup((_req, res) => {
      backendRes = res;
      // Write until the socket pushes back, and keep count; a proxy that buffered would keep draining.
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            paused();
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { 'x-dst': 'big' }, agent: false });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    res.pause();
    await blocked;
    // Buffers between backend and client fill in steps; wait until the count stops moving. A
    // proxy that buffered would let the backend write all of TOTAL first, so the bound fails.
    // (Sampling only decides when to look: a slow machine stops early, which still passes.)
    let last = -1;
    while (written !== last) {
      last = written;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(written).toBeLessThan(64 * MB);
    expect(backendRes?.listenerCount('drain')).toBe(1);
    req.destroy();
  });
});

describe('trailers', () => {
  it('forwards response trailers of a chunked response', async () => {
    const port = await setup((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('body');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end();
    });
    const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/', headers: { 'x-dst': 'big' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(trailers['x-checksum']).toBe('abc123');
  });

  it('forwards every response trailer, not only the last (gRPC status and message)', async () => {
    const port = await setup((req, res) => {
      req.resume();
      res.writeHead(200, {
        'content-type': 'application/grpc',
        trailer: 'grpc-status, grpc-message, x-extra',
      });
      res.write('body');
      res.addTrailers({ 'grpc-status': '7', 'grpc-message': 'denied', 'x-extra': 'e' });
      res.end();
    });
    const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/', headers: { 'x-dst': 'big', te: 'trailers' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(trailers).toEqual({ 'grpc-status': '7', 'grpc-message': 'denied', 'x-extra': 'e' });
  });

  it('forwards request trailers that the client announced, after the whole body', async () => {
    const port = await setup((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        res.writeHead(200, { trailer: 'x-echo' });
        res.write(`${body} ${req.headers.trailer}`);
        res.addTrailers({ 'x-echo': `${req.trailers['x-checksum']}/${req.trailers['grpc-timeout']}` });
        res.end();
      });
    });
    const reply = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          headers: { 'x-dst': 'big', trailer: 'x-checksum, grpc-timeout', 'transfer-encoding': 'chunked' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => resolve({ body, trailers: res.trailers }));
        },
      );
      req.on('error', reject);
      req.write('part1 ');
      req.write('part2');
      req.addTrailers({ 'x-checksum': 'abc123', 'grpc-timeout': '5S' });
      req.end();
    });
    expect(reply.body).toBe('part1 part2 x-checksum, grpc-timeout');
    expect(reply.trailers).toEqual({ 'x-echo': 'abc123/5S' });
  });
});
