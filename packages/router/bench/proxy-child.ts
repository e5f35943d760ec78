/**
 * One process of the proxy benchmark: `backend`, `bare` (node:http + undici pass-through, the
 * baseline the router is compared with), `router` (host identifier → dtab → p2c → undici) or
 * `router-telemetry` (the same with a metrics registry and a span per request).
 * Prints `ready <port>` on stdout, then answers `cpu` lines on stdin with its cumulative CPU
 * time in microseconds, so the parent can measure CPU per request without counting its own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import {
  createInterpreter,
  createMetricsRegistry,
  identified,
  type RequestHead,
  unidentified,
} from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { createTracer, tracingServerLayer } from '@switchyard/telemetry';
import { Pool } from 'undici';
import { createRouter, type Inbound } from '../src/index.js';

const [mode, upstreamPort] = process.argv.slice(2);
const BODY = Buffer.from('hello world\n');

function report(port: number): void {
  process.stdout.write(`ready ${port}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(`cpu ${u.user + u.system}\n`);
    }
  });
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
      // The least a streaming node:http + undici pass-through does: one pool, headers as they came.
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
            onResponseStart(controller, status, h) {
              h['transfer-encoding'] = undefined;
              h.connection = undefined;
              h['keep-alive'] = undefined;
              for (const k in h) if (h[k] === undefined) delete h[k];
              res.writeHead(status, h as http.OutgoingHttpHeaders);
              void controller;
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
      server.keepAliveTimeout = 60_000;
      report(await listen(server));
      return;
    }
    case 'router':
    case 'router-telemetry': {
      const telemetry = mode === 'router-telemetry';
      const hostToken = async (req: RequestHead) => {
        const host = req.headers.host;
        return typeof host === 'string' && host !== ''
          ? identified(['svc', host], req)
          : unidentified<RequestHead>('Host header is absent');
      };
      // router-telemetry: metrics into a real registry and a sampled span per request (every
      // request sampled, spans dropped at finish), to price telemetry on the hot path.
      const router = createRouter({
        servers: [{ port: 0, keepAliveTimeoutMs: 60_000 }],
        identifier: hostToken,
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

// Exit normally on SIGINT so --cpu-prof profiles get written.
process.on('SIGINT', () => process.exit(0));
void main();
