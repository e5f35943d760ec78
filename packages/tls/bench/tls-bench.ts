/**
 * Benchmark: full TLS handshakes per second and keep-alive request throughput through
 * Switchyard's TLS server, side by side with nginx terminating the same certificate when nginx
 * is installed (skipped otherwise). Load comes from a separate process so the client does not
 * steal the server's event loop. Prints a table; asserts nothing.
 *
 *   pnpm --filter @switchyard/tls bench          # BENCH_SECONDS=3 BENCH_CONCURRENCY=8 by default
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createTestPki } from '@switchyard/testkit';
import { Pool } from 'undici';
import { createTlsServer } from '../src/server.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SERVERNAME = 'bench.example.com';

interface LoadResult {
  readonly handshakesPerSec: number;
  readonly handshakeErrors: number;
  readonly requestsPerSec: number;
  readonly requestErrors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

// ---- load generator (child process) -------------------------------------------------------

async function handshakes(port: number, ca: string): Promise<{ count: number; errors: number }> {
  let count = 0;
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      // No session reuse: every connection is a full handshake.
      const s = tlsConnect({ host: '127.0.0.1', port, servername: SERVERNAME, ca }, () => {
        count++;
        s.destroy();
        resolve();
      });
      s.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  return { count, errors };
}

async function requests(
  port: number,
  ca: string,
): Promise<{ count: number; errors: number; latencies: number[] }> {
  const pool = new Pool(`https://127.0.0.1:${port}`, {
    connections: concurrency,
    connect: { servername: SERVERNAME, ca },
  });
  let count = 0;
  let errors = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        try {
          const res = await pool.request({ path: '/', method: 'GET' });
          await res.body.text();
          if (res.statusCode === 200) count++;
          else errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await pool.close();
  return { count, errors, latencies };
}

async function runClient(port: number, ca: string): Promise<LoadResult> {
  const h = await handshakes(port, ca);
  const r = await requests(port, ca);
  r.latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    r.latencies[Math.min(r.latencies.length - 1, Math.floor(r.latencies.length * p))] ?? 0;
  return {
    handshakesPerSec: h.count / seconds,
    handshakeErrors: h.errors,
    requestsPerSec: r.count / seconds,
    requestErrors: r.errors,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  };
}

function loadFrom(port: number, ca: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--client', String(port)], {
      execArgv: process.execArgv,
      env: { ...process.env, BENCH_CA: ca },
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
}

// ---- servers ------------------------------------------------------------------------------

function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

async function startNginx(bin: string, dir: string, certPath: string, keyPath: string) {
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  await mkdir(join(prefix, 'logs'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 1000000;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${SERVERNAME};
    ssl_certificate ${certPath};
    ssl_certificate_key ${keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { default_type text/plain; return 200 'ok'; }
  }
}
`,
  );
  const child = spawn(bin, ['-p', prefix, '-c', conf], { stdio: 'ignore' });
  await waitForPort(port);
  return { port, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const pki = await createTestPki();
  try {
    const leaf = await pki.leaf('bench', { cn: SERVERNAME, dns: [SERVERNAME] });
    const ca = pki.ca.certPem;
    const rows: [string, LoadResult | string][] = [];

    const ours = createTlsServer({ certPath: leaf.certPath, keyPath: leaf.keyPath }, (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
    });
    const { port } = await ours.listen({ port: 0 });
    rows.push(['switchyard (node)', await loadFrom(port, ca)]);
    await ours.close();

    const bin = nginxBinary();
    if (bin === undefined) {
      rows.push(['nginx', 'skipped: nginx not installed']);
    } else {
      const nginx = await startNginx(bin, pki.dir, leaf.certPath, leaf.keyPath);
      try {
        rows.push(['nginx (1 worker)', await loadFrom(nginx.port, ca)]);
      } finally {
        nginx.stop();
      }
    }
    printTable(rows);
  } finally {
    await pki.dispose();
  }
}

function printTable(rows: [string, LoadResult | string][]): void {
  const header = [
    'server',
    'handshakes/s',
    'hs errors',
    'keep-alive req/s',
    'req errors',
    'p50 ms',
    'p99 ms',
  ];
  const body = rows.map(([name, r]) =>
    typeof r === 'string'
      ? [name, r, '', '', '', '', '']
      : [
          name,
          r.handshakesPerSec.toFixed(0),
          String(r.handshakeErrors),
          r.requestsPerSec.toFixed(0),
          String(r.requestErrors),
          r.p50Ms.toFixed(2),
          r.p99Ms.toFixed(2),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    `TLS bench: ECDSA P-256 certificate, ${seconds}s per phase, concurrency ${concurrency}, loopback, Node ${process.version}`,
  );
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of body) console.log(line(row));
}

if (process.argv.includes('--client')) {
  const port = Number(process.argv[process.argv.indexOf('--client') + 1]);
  const result = await runClient(port, process.env.BENCH_CA ?? '');
  process.send?.(result, () => process.exit(0));
} else {
  await main();
}
