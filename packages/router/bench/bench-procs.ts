/**
 * What the router's benches share to run their baselines: probing for a tool, a free port, waiting
 * for a listener, and nginx as a one-process pass-through (`proxy.ts` and `memory-procs.ts`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A port the kernel had free a moment ago (nginx takes a port number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface NginxOptions {
  /** Names the temp prefix (one per bench and process). */
  readonly name: string;
  /** Streaming both ways (`proxy_buffering off`, `proxy_request_buffering off`), long keep-alive, unlimited bodies, room for 16k connections: the memory benches' setting. */
  readonly streaming: boolean;
  /** Wraps the argv (e.g. `taskset -c 0`). */
  readonly wrap?: (argv: string[]) => string[];
}

/**
 * nginx as a pass-through to `upstream` (one process: `master_process off`, upstream keep-alive),
 * listening once it answers; undefined when nginx is not installed.
 */
export async function spawnNginx(
  upstream: number,
  options: NginxOptions,
): Promise<{ readonly port: number; readonly child: ChildProcess } | undefined> {
  if (!has('nginx')) return undefined;
  const prefix = join(tmpdir(), `switchyard-${options.name}-nginx-${process.pid}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  const streaming = options.streaming;
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
master_process off;
error_log ${prefix}/logs/error.log;
pid ${prefix}/nginx.pid;
${streaming ? 'worker_rlimit_nofile 20000;\nevents { worker_connections 16000; }' : 'events { worker_connections 4096; }'}
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream backend { server 127.0.0.1:${upstream}; keepalive 256; }
${streaming ? '  keepalive_timeout 600s; keepalive_requests 100000;\n  client_max_body_size 0;\n' : ''}  server {
    listen 127.0.0.1:${port}${streaming ? ' backlog=16384' : ''};
    location / {
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
${streaming ? '      proxy_buffering off; proxy_request_buffering off;\n' : ''}    }
  }
}
`,
  );
  const [cmd, ...args] = (options.wrap ?? ((argv) => argv))(['nginx', '-p', prefix, '-c', conf]);
  const child = spawn(cmd!, args, { stdio: 'inherit' });
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return { port, child };
}
