/**
 * HTTP/2 bench, side by side in one run (issue 19): plain h2 GETs and unary gRPC through the
 * reference binary and through nginx (`http2` + `proxy_pass` / `grpc_pass`) to the same backends,
 * and h2 against HTTP/1.1 through the binary itself.
 *
 *   cd examples/ingress && npm run bench:h2          (node --import tsx bench/h2-nginx.ts)
 *   BENCH_REQUESTS=20000 BENCH_ROUNDS=3 BENCH_INFLIGHT=64 npm run bench:h2
 *
 * Load: h2load (Debian's nghttp2-client) with BENCH_INFLIGHT requests in flight: HTTP/2 as 4
 * connections × INFLIGHT/4 streams, HTTP/1.1 as INFLIGHT connections (`--h1`). CPU per request is
 * the proxy's user + system CPU time from /proc (nginx: master + workers) over the requests
 * completed. Both proxies run one process (nginx `worker_processes 1`, the binary without
 * `--workers`). The backends (a node:http server for GETs, a node:http2 h2c server answering
 * unary gRPC) run in their own processes. Nothing is installed here: without nginx the nginx
 * rows are skipped with a message; without h2load the bench stops.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectHttp2 } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const ingressDir = fileURLToPath(new URL('../', import.meta.url));
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU ms used so far by `pid` (user + system). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** `pid` and its direct children (nginx's workers). */
function family(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  const kids = existsSync(file)
    ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    : [];
  return [pid, ...kids];
}

function has(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).error === undefined;
}

/** A port that was free a moment ago (nginx cannot listen on port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The gRPC request body: a 5-byte frame header (not compressed, length) and a 16-byte message. */
const GRPC_MESSAGE = Buffer.concat([Buffer.from([0, 0, 0, 0, 16]), Buffer.alloc(16, 0x61)]);

/** The backends in their own process: HTTP/1.1 (18-byte body) and h2c unary gRPC (echo). */
async function startBackends(): Promise<{ h1: number; grpc: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const http=require('node:http'),http2=require('node:http2');
       const h1=http.createServer((q,r)=>{q.resume();r.end('hello from switch\\n')});h1.keepAliveTimeout=60000;
       const g=http2.createServer({settings:{maxConcurrentStreams:1000}});
       g.on('stream',(st)=>{const parts=[];st.on('data',(d)=>parts.push(d));st.on('end',()=>{
         st.respond({':status':200,'content-type':'application/grpc'},{waitForTrailers:true});
         st.on('wantTrailers',()=>st.sendTrailers({'grpc-status':'0'}));st.end(Buffer.concat(parts));});});
       g.on('error',()=>{});
       h1.listen(0,'127.0.0.1',()=>g.listen(0,'127.0.0.1',()=>console.log(h1.address().port+' '+g.address().port)));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [h1, grpc] = await new Promise<number[]>((resolve) =>
    child.stdout!.once('data', (d) => resolve(String(d).trim().split(' ').map(Number))),
  );
  return { h1: h1!, grpc: grpc!, child };
}

interface Proxy {
  readonly name: string;
  readonly pid: number;
  readonly webPort: number;
  readonly grpcPort: number;
  stop(): Promise<void>;
}

async function startSwitchyard(dir: string, h1: number, grpc: number): Promise<Proxy> {
  const configPath = join(dir, 'linker.yaml');
  await writeFile(
    configPath,
    `admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: web
  servers: [{ip: 127.0.0.1, port: 0, h2: {maxConcurrentStreams: 1000}}]
  dtab: /svc/web => /$/inet/127.0.0.1/${h1}
- protocol: h2
  label: grpc
  identifier: {kind: io.l5d.header.path, segments: 1}
  servers: [{ip: 127.0.0.1, port: 0, h2: {maxConcurrentStreams: 1000}}]
  dtab: /svc => /$/inet/127.0.0.1/${grpc}
`,
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=switchyard:source', 'src/main.ts', '--config', configPath],
    { cwd: ingressDir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += String(d);
      const serving = [...stderr.matchAll(/"msg":"serving".*?"port":(\d+)/g)].map((m) => Number(m[1]));
      if (serving.length === 2) resolve(serving);
    });
    child.once('exit', (code) => reject(new Error(`switchyard exited ${code}: ${stderr}`)));
  });
  return {
    name: 'switchyard',
    pid: child.pid!,
    webPort: ports[0]!,
    grpcPort: ports[1]!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** nginx's version as [major, minor, patch], from `nginx -v` (printed on stderr). */
function nginxVersion(): number[] {
  const out = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return (/nginx\/(\d+)\.(\d+)\.(\d+)/.exec(out.stderr) ?? []).slice(1).map(Number);
}

async function startNginx(dir: string, h1: number, grpc: number): Promise<Proxy> {
  const [webPort, grpcPort] = [await freePort(), await freePort()];
  const [major = 0, minor = 0, patch = 0] = nginxVersion();
  // `http2 on;` exists from 1.25.1; before it, HTTP/2 is a `listen` parameter.
  const modern = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  const listen = (port: number) =>
    modern ? `listen 127.0.0.1:${port}; http2 on;` : `listen 127.0.0.1:${port} http2;`;
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  http2_max_concurrent_streams 1000;
  keepalive_requests 1000000;
  upstream web { server 127.0.0.1:${h1}; keepalive 64; }
  upstream grpc { server 127.0.0.1:${grpc}; keepalive 64; }
  server {
    ${listen(webPort)}
    location / { proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    ${listen(grpcPort)}
    location / { grpc_pass grpc://grpc; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  // Ready once both ports accept.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
    const ok = spawnSync('curl', [
      '-s',
      '-o',
      '/dev/null',
      '--http2-prior-knowledge',
      `http://127.0.0.1:${webPort}/`,
    ]);
    if (ok.status === 0) break;
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'nginx',
    pid: child.pid!,
    webPort,
    grpcPort,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGQUIT');
      }),
  };
}

/** One unary gRPC call over h2c: resolves with grpc-status (a check that the proxy really relays gRPC). */
function grpcCall(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connectHttp2(`http://127.0.0.1:${port}`);
    s.on('error', reject);
    const req = s.request({
      ':method': 'POST',
      ':path': '/bench.Echo/Say',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('trailers', (t) => {
      resolve(String(t['grpc-status']));
      s.close();
    });
    req.on('error', reject);
    req.resume();
    req.end(GRPC_MESSAGE);
  });
}

type Workload = 'h2 GET' | 'h1 GET' | 'gRPC unary';

interface Load {
  readonly requests: number;
  readonly rps: number;
}

function h2load(workload: Workload, port: number, dir: string, requests: number): Load {
  const args =
    workload === 'h1 GET'
      ? ['--h1', '-c', String(INFLIGHT), '-m', '1']
      : ['-c', '4', '-m', String(Math.max(1, Math.floor(INFLIGHT / 4)))];
  const target =
    workload === 'gRPC unary'
      ? [
          '-d',
          join(dir, 'grpc-body.bin'),
          '-H',
          'content-type: application/grpc',
          '-H',
          'te: trailers',
          `http://127.0.0.1:${port}/bench.Echo/Say`,
        ]
      : // h2load sends :authority (HTTP/1.1: Host) from the URI; a second Host would be a 400.
        ['-H', ':authority: web', `http://127.0.0.1:${port}/`];
  const out = execFileSync('h2load', ['-n', String(requests), ...args, ...target], { encoding: 'utf8' });
  const done = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(out);
  const ok2xx = /status codes: (\d+) 2xx/.exec(out);
  if (!done || !ok2xx || Number(ok2xx[1]) !== requests)
    throw new Error(`h2load ${workload} on port ${port}: not every answer was 2xx:\n${out}`);
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)![1]);
  return { requests: Number(done[1]), rps };
}

interface Row extends Load {
  readonly round: number;
  readonly proxy: string;
  readonly workload: Workload;
  readonly cpuPerReqUs: number;
}

function measure(proxy: Proxy, workload: Workload, dir: string, round: number): Row {
  const port = workload === 'gRPC unary' ? proxy.grpcPort : proxy.webPort;
  h2load(workload, port, dir, Math.max(1000, Math.floor(REQUESTS / 10))); // warm-up: JIT, pools
  const pids = family(proxy.pid);
  const before = pids.map(cpuMs);
  const load = h2load(workload, port, dir, REQUESTS);
  const used = pids.map(cpuMs).reduce((sum, v, i) => sum + v - before[i]!, 0);
  return { round, proxy: proxy.name, workload, ...load, cpuPerReqUs: (used * 1000) / load.requests };
}

async function main(): Promise<void> {
  if (!has('h2load', ['--version'])) {
    console.error('h2load is not installed (apt-get install nghttp2-client); this bench needs it');
    process.exit(2);
  }
  const withNginx = has('nginx', ['-v']);
  if (!withNginx) console.log('nginx is not installed (apt-get install nginx): the nginx rows are skipped');
  const dir = await mkdtemp(join(tmpdir(), 'sy-bench-h2-'));
  await writeFile(join(dir, 'grpc-body.bin'), GRPC_MESSAGE);
  const backends = await startBackends();
  const proxies: Proxy[] = [await startSwitchyard(dir, backends.h1, backends.grpc)];
  if (withNginx) proxies.push(await startNginx(dir, backends.h1, backends.grpc));
  try {
    for (const p of proxies) {
      const status = await grpcCall(p.grpcPort);
      if (status !== '0') throw new Error(`${p.name}: gRPC call ended with grpc-status ${status}`);
    }
    console.log(
      `h2 bench: node ${process.version}, nginx ${withNginx ? nginxVersion().join('.') : 'absent'}, ` +
        `${availableParallelism()} cores, h2load -n ${REQUESTS}, ${INFLIGHT} in flight ` +
        `(h2: 4 connections × ${Math.floor(INFLIGHT / 4)} streams; h1: ${INFLIGHT} connections), ${ROUNDS} round(s); ` +
        'load generator, backends and proxy share the cores',
    );
    const rows: Row[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const p of proxies) {
        const workloads: Workload[] =
          p.name === 'switchyard' ? ['h2 GET', 'h1 GET', 'gRPC unary'] : ['h2 GET', 'gRPC unary'];
        for (const w of workloads) rows.push(measure(p, w, dir, round));
      }
    }
    console.log('round  proxy        workload       req/s   CPU µs/req');
    for (const r of rows) {
      console.log(
        `${String(r.round).padStart(5)}  ${r.proxy.padEnd(11)}  ${r.workload.padEnd(11)}  ${r.rps.toFixed(0).padStart(8)}  ${r.cpuPerReqUs.toFixed(1).padStart(11)}`,
      );
    }
    const mean = (proxy: string, workload: Workload, f: (r: Row) => number) => {
      const sel = rows.filter((r) => r.proxy === proxy && r.workload === workload);
      return sel.reduce((s, r) => s + f(r), 0) / sel.length;
    };
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const rps = (r: Row) => r.rps;
    const cpu = (r: Row) => r.cpuPerReqUs;
    console.log(
      `switchyard h2 / h1 GET: throughput ${ratio(mean('switchyard', 'h2 GET', rps), mean('switchyard', 'h1 GET', rps))}, ` +
        `CPU/request ${ratio(mean('switchyard', 'h2 GET', cpu), mean('switchyard', 'h1 GET', cpu))}`,
    );
    if (withNginx) {
      for (const w of ['h2 GET', 'gRPC unary'] as const) {
        console.log(
          `switchyard / nginx, ${w}: throughput ${ratio(mean('switchyard', w, rps), mean('nginx', w, rps))}, ` +
            `CPU/request ${ratio(mean('switchyard', w, cpu), mean('nginx', w, cpu))}`,
        );
      }
    }
  } finally {
    for (const p of proxies) await p.stop();
    backends.child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
