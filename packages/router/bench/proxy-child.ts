/**
 * One process of the proxy benchmark: `backend`; `bare` (node:http + undici `Pool.stream`
 * pass-through, the baseline the router is compared with); `bare-dispatch` (node:http + undici
 * `Pool.dispatch` with raw header arrays both ways: the floor of that design); `http-proxy` and
 * `fastify-http-proxy` (the usual Node proxies); `router` (io.l5d.header.token → dtab → p2c →
 * undici) or `router-telemetry` (the same with a metrics registry and a span per request).
 * Prints `ready <port>` on stdout, then answers `cpu` lines on stdin with its cumulative CPU
 * time in microseconds, so the parent can measure CPU per request without counting its own.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createInterpreter, createMetricsRegistry } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { createHeaderTokenIdentifier } from '@switchyard/identifiers';
import { createTracer, tracingServerLayer } from '@switchyard/telemetry';
import { Pool } from 'undici';
import { createRouter, type Inbound } from '../src/index.js';

const [mode, upstreamPort] = process.argv.slice(2);
const BODY = Buffer.from('hello world\n');

let profiler: Session | undefined;

/** Posts an inspector command, resolving with its result. */
function post<T>(session: Session, method: string): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/**
 * Prints `ready <port>`, then answers stdin lines: `cpu` → `cpu <µs>` (cumulative CPU time);
 * `prof-start` → starts the V8 sampling profiler (node:inspector), `prof-stop <file>` → writes
 * the `.cpuprofile` and answers `prof-written`. The parent profiles the measured rounds only, so
 * start-up and module loading stay out of the profile.
 */
function report(port: number): void {
  process.stdout.write(`ready ${port}\n`);
  const commands = createInterface({ input: process.stdin });
  // The parent gone (stdin closed): exit rather than linger as an orphan.
  commands.on('close', () => process.exit(0));
  commands.on('line', async (line) => {
    if (line === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(`cpu ${u.user + u.system}\n`);
    } else if (line === 'prof-start') {
      profiler = new Session();
      profiler.connect();
      await post(profiler, 'Profiler.enable');
      await post(profiler, 'Profiler.start');
    } else if (line.startsWith('prof-stop ') && profiler !== undefined) {
      const { profile } = await post<{ profile: object }>(profiler, 'Profiler.stop');
      writeFileSync(line.slice('prof-stop '.length), JSON.stringify(profile));
      profiler.disconnect();
      process.stdout.write('prof-written\n');
    }
  });
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** RFC 9110 §7.6.1 hop-by-hop fields (raw names, any case). */
function hopByHop(name: string): boolean {
  return name.length <= 16 && HOP_BY_HOP.has(name.toLowerCase());
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  switch (mode) {
    case 'backend': {
      const server = http.createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
        res.end(BODY);
      });
      server.keepAliveTimeout = 60_000;
      report(await listen(server));
      return;
    }
    case 'bare': {
      // The obvious node:http + undici pass-through: one pool, `Pool.stream` into the response,
      // headers as objects both ways (hop-by-hop fields dropped).
      const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
      const server = http.createServer((req, res) => {
        const hasBody =
          req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
        const headers = req.headers;
        headers.connection = undefined;
        pool.stream(
          { path: req.url!, method: req.method as 'GET', headers, body: hasBody ? req : null, opaque: res },
          ({ statusCode, headers: h, opaque }) => {
            const out = opaque as http.ServerResponse;
            h['transfer-encoding'] = undefined;
            h.connection = undefined;
            h['keep-alive'] = undefined;
            for (const k in h) if (h[k] === undefined) delete h[k];
            out.writeHead(statusCode, h as http.OutgoingHttpHeaders);
            return out;
          },
          (err) => {
            if (err === null) return;
            if (!res.headersSent) {
              res.statusCode = 502;
              res.end(String(err));
            } else res.destroy();
          },
        );
      });
      server.keepAliveTimeout = 60_000;
      report(await listen(server));
      return;
    }
    case 'bare-dispatch': {
      // The floor of a node:http + undici design: `Pool.dispatch` with undici's raw (legacy)
      // handler, raw header arrays both ways (req.rawHeaders in, undici's raw Buffers out to
      // `writeHead(status, flatArray)`), hop-by-hop fields dropped on the raw lists, body chunks
      // written straight into the response.
      const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1 });
      const server = http.createServer((req, res) => {
        const raw = req.rawHeaders;
        const headers: string[] = [];
        let hasBody = false;
        for (let i = 0; i < raw.length; i += 2) {
          const k = raw[i]!;
          if (k.length === 14 || k.length === 17) hasBody ||= /^(content-length|transfer-encoding)$/i.test(k);
          if (hopByHop(k)) continue;
          headers.push(k, raw[i + 1]!);
        }
        pool.dispatch({ path: req.url!, method: req.method as 'GET', headers, body: hasBody ? req : null }, {
          onConnect() {},
          onHeaders(status: number, rawOut: Buffer[], resume: () => void) {
            const out: string[] = [];
            for (let i = 0; i < rawOut.length; i += 2) {
              const k = rawOut[i]!.toString('latin1');
              if (hopByHop(k)) continue;
              out.push(k, rawOut[i + 1]!.toString('latin1'));
            }
            res.writeHead(status, out);
            res.on('drain', resume);
            return true;
          },
          onData(chunk: Buffer) {
            return res.write(chunk);
          },
          onComplete() {
            res.end();
          },
          onError(err: Error) {
            if (!res.headersSent) {
              res.statusCode = 502;
              res.end(String(err));
            } else res.destroy();
          },
        } as unknown as Parameters<Pool['dispatch']>[1]);
      });
      server.keepAliveTimeout = 60_000;
      report(await listen(server));
      return;
    }
    case 'http-proxy': {
      // http-proxy (node-http-proxy), the long-standing Node reverse proxy, with a keep-alive agent.
      const { default: httpProxy } = await import('http-proxy');
      const proxy = httpProxy.createProxyServer({
        target: `http://127.0.0.1:${upstreamPort}`,
        agent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
        xfwd: false,
      });
      proxy.on('error', (_err, _req, res) => {
        if ('writeHead' in res && !res.headersSent) res.writeHead(502);
        res.end();
      });
      const server = http.createServer((req, res) => proxy.web(req, res));
      server.keepAliveTimeout = 60_000;
      report(await listen(server));
      return;
    }
    case 'fastify-http-proxy': {
      // @fastify/http-proxy (fastify + @fastify/reply-from, undici underneath), logging off.
      const { default: fastify } = await import('fastify');
      const { default: fastifyHttpProxy } = await import('@fastify/http-proxy');
      const app = fastify({ logger: false, keepAliveTimeout: 60_000 });
      await app.register(fastifyHttpProxy, { upstream: `http://127.0.0.1:${upstreamPort}` });
      await app.listen({ port: 0, host: '127.0.0.1' });
      report((app.server.address() as AddressInfo).port);
      return;
    }
    case 'router':
    case 'router-telemetry': {
      const telemetry = mode === 'router-telemetry';
      // router-telemetry: metrics into a real registry and a sampled span per request (every
      // request sampled, spans dropped at finish), to price telemetry on the hot path.
      const router = createRouter({
        servers: [{ port: 0, keepAliveTimeoutMs: 60_000 }],
        // Linkerd's default identifier (io.l5d.header.token on Host), as the binary uses it.
        identifier: createHeaderTokenIdentifier(),
        interpreter: createInterpreter(),
        dtab: Dtab.read(`/svc/* => /$/inet/127.0.0.1/${upstreamPort}`),
        ...(telemetry
          ? {
              stats: createMetricsRegistry(),
              // The request span outermost in the server stack, as config wires it.
              layers: {
                server: (defaults) => [
                  tracingServerLayer<Inbound>(createTracer({ sampleRate: 1 })),
                  ...defaults,
                ],
              },
            }
          : {}),
      });
      const [server] = await router.listen();
      report(server!.port);
      return;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

// Exit normally on SIGINT.
process.on('SIGINT', () => process.exit(0));
void main();
