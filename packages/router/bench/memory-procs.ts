/**
 * Process handling shared by the memory benches: forking memory-child.ts, starting nginx as a
 * streaming pass-through, and reading a process's resident memory from /proc (current RSS and its
 * peak, VmHWM, which `clear_refs` resets), so Node processes and nginx are measured the same way
 * without sampling gaps.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const MIB = 1024 * 1024;

/** A proxy or backend process under measurement. */
export interface Proc {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Full GC in a Node child (no-op for nginx); resolves with its `memoryUsage()` after it. */
  gc(): Promise<NodeJS.MemoryUsage | undefined>;
  /** Sends a message to a Node child and resolves with its answer. */
  ask(message: string): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Current RSS and peak RSS (VmHWM) of `pid`, bytes; nginx's are summed with its worker's. */
export function rss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Resets the peak RSS of `pid` to its current RSS (Linux `clear_refs` 5). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Forks memory-child.ts in `mode` (with --expose-gc) and waits for its port. */
export async function startChild(mode: string, upstream?: number, execArgv: string[] = []): Promise<Proc> {
  const child = fork(join(here, 'memory-child.ts'), [mode, String(upstream ?? '')], {
    cwd: join(here, '..'),
    execArgv: ['--import', 'tsx', '--conditions=switchyard:source', '--expose-gc', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await once(child, 'message')) as [{ port: number }];
  const ask = (message: string) =>
    new Promise<Record<string, number>>((resolve) => {
      child.once('message', (m) => resolve(m as Record<string, number>));
      child.send(message);
    });
  return {
    name: mode,
    port: first.port,
    pid: child.pid!,
    ask,
    gc: async () => (await ask('gc')) as unknown as NodeJS.MemoryUsage,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A port free at the time of asking (nginx cannot listen on port 0 and report it). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * nginx as a streaming pass-through (`proxy_buffering off`, `proxy_request_buffering off`: the
 * same design as the router, no temp files), one process (`master_process off`), upstream
 * keep-alive; undefined when nginx is not installed.
 */
export async function startNginx(upstream: number): Promise<Proc | undefined> {
  if (!has('nginx')) return undefined;
  const prefix = join(tmpdir(), `switchyard-memory-nginx-${process.pid}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
master_process off;
error_log ${prefix}/logs/error.log;
pid ${prefix}/nginx.pid;
worker_rlimit_nofile 20000;
events { worker_connections 16000; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream backend { server 127.0.0.1:${upstream}; keepalive 256; }
  keepalive_timeout 600s; keepalive_requests 100000;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port} backlog=16384;
    location / {
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_request_buffering off;
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: 'inherit' });
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    name: 'nginx',
    port,
    pid: child.pid!,
    gc: async () => undefined,
    ask: async () => ({}),
    stop: () => stopChild(child),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const mib = (bytes: number) => (bytes / MIB).toFixed(1);
