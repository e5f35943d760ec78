/**
 * One process of the memory benches (memory-bodies.ts, memory-idle.ts), forked with IPC:
 * - `backend`: node:http; `GET /down/<n>` streams n bytes (counting what it wrote), `POST /up`
 *   answers the byte count it received, `GET /small` answers 2 bytes;
 * - `bare`: node:http + one undici Pool pass-through with no routing (the baseline; both bodies
 *   streamed with backpressure, as bench/proxy-child.ts's `bare` does for responses);
 * - `router`: Switchyard with one route (`/svc/big`), default layers, HTTP/1.1 both ways;
 * - `router-h2`: the same with the h2c + HTTP/1.1 front door and h2c to an HTTP/2 backend;
 * - `backend-h2`, `bare-h2` (node:http2 server piping streams to one node:http2 session).
 * argv: mode, upstream port. Sends `{ port }` once listening. Messages: `'gc'` → runs a full GC and
 * answers `process.memoryUsage()`; `'written'` (backend) → `{ written }`, bytes of body written;
 * `'snapshot <file>'` writes a V8 heap snapshot there and answers `{ file }`.
 * The parent reads RSS and its peak (VmHWM) from /proc, so every process is measured alike.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { createInterpreter, identified } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { createPlainHttpServer } from '@switchyard/tls';
import { Pool } from 'undici';
import { createRouter } from '../src/index.js';

const [mode, upstreamPort] = process.argv.slice(2);
const CHUNK = Buffer.alloc(64 * 1024, 'x');
let written = 0;

/** Writes n bytes to `w` respecting backpressure. */
function pump(w: NodeJS.WritableStream, n: number): void {
  const more = () => {
    while (n > 0) {
      const k = Math.min(n, CHUNK.length);
      n -= k;
      written += k;
      if (!w.write(k === CHUNK.length ? CHUNK : CHUNK.subarray(0, k))) {
        w.once('drain', more);
        return;
      }
    }
    w.end();
  };
  more();
}

async function listen(server: http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function backend(): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/down/')) {
      req.resume();
      const n = Number(req.url.slice(6));
      res.writeHead(200, { 'content-length': n });
      pump(res, n);
    } else if (req.url === '/up') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
    } else {
      req.resume();
      res.end('ok');
    }
  });
  server.keepAliveTimeout = 600_000;
  return server;
}

function backendH2(): http2.Http2Server {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const path = String(headers[':path']);
    if (path.startsWith('/down/')) {
      stream.resume();
      stream.respond({ ':status': 200 });
      pump(stream, Number(path.slice(6)));
    } else {
      let n = 0;
      stream.on('data', (c: Buffer) => (n += c.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(String(n));
      });
    }
  });
  return server;
}

function bare(): http.Server {
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
  const server = http.createServer((req, res) => {
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const headers = req.headers;
    headers.connection = undefined;
    pool.dispatch(
      { path: req.url!, method: req.method as 'GET', headers, body: hasBody ? req : null },
      {
        onRequestStart() {},
        onResponseStart(_controller, status, h) {
          h['transfer-encoding'] = undefined;
          h.connection = undefined;
          h['keep-alive'] = undefined;
          for (const k in h) if (h[k] === undefined) delete h[k];
          res.writeHead(status, h as http.OutgoingHttpHeaders);
        },
        onResponseData(controller, chunk) {
          if (!res.write(chunk)) {
            controller.pause();
            res.once('drain', () => controller.resume());
          }
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError(_controller, err) {
          if (!res.headersSent) {
            res.statusCode = 502;
            res.end(String(err));
          } else res.destroy();
        },
      },
    );
  });
  server.keepAliveTimeout = 600_000;
  return server;
}

function bareH2(): http2.Http2Server {
  const session = http2.connect(`http://127.0.0.1:${upstreamPort}`);
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const up = session.request({ ':method': headers[':method'], ':path': headers[':path'] });
    up.on('error', () => stream.destroy());
    up.on('response', (h) => {
      stream.respond({ ':status': h[':status'] });
      up.pipe(stream);
    });
    stream.pipe(up);
  });
  return server;
}

async function main(): Promise<number> {
  switch (mode) {
    case 'backend':
      return listen(backend());
    case 'backend-h2':
      return listen(backendH2());
    case 'bare':
      return listen(bare());
    case 'bare-h2':
      return listen(bareH2());
    case 'router':
    case 'router-h2': {
      const h2 = mode === 'router-h2';
      const router = createRouter({
        servers: [
          {
            port: 0,
            keepAliveTimeoutMs: 600_000,
            ...(h2 ? { createServer: (o) => createPlainHttpServer({ ...o, h2: {} }) } : {}),
          },
        ],
        identifier: async (req) => identified(['svc', 'big'], req),
        interpreter: createInterpreter({ namers: [] }),
        dtab: Dtab.read(`/svc/big => /$/inet/127.0.0.1/${upstreamPort}`),
        ...(h2 ? { client: { protocol: 'h2c' as const } } : {}),
      });
      const [server] = await router.listen();
      return server!.port;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

process.on('message', (message) => {
  if (message === 'gc') {
    globalThis.gc?.();
    process.send?.(process.memoryUsage());
  } else if (message === 'written') process.send?.({ written });
  else if (typeof message === 'string' && message.startsWith('snapshot ')) {
    process.send?.({ file: writeHeapSnapshot(message.slice(9)) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ port: await main() });
