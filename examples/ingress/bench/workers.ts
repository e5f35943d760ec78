/**
 * `--workers` bench: the reference binary with 1 worker (the single process) and with 2 workers,
 * side by side in one run, under the same wrk load through full routing to one backend.
 *
 *   cd examples/ingress && npm run bench:workers   (needs wrk on PATH)
 *   BENCH_SECONDS=10 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 npm run bench:workers
 *
 * Per setup and round it prints requests/s, latency (p50/p99), and CPU per request: the serving
 * processes' CPU time (from /proc, user + system) over the requests wrk completed. With workers
 * the primary's own CPU (it accepts each connection and passes it on) is shown apart.
 * Honest note: on a small box wrk, the backend and the proxy share the cores, so the 2-worker
 * throughput is bounded by what wrk and the backend leave over, not by the proxy alone.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ingressDir = fileURLToPath(new URL('../', import.meta.url));
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU ms used so far by `pid` (user + system, its own threads). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** Direct children of `pid` (the workers of a primary). */
function children(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** A backend in its own process answering an 18-byte body. */
async function startBackend(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s=require('node:http').createServer((q,r)=>r.end('hello from switch\\n'));
       s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (d) => resolve(Number(String(d)))),
  );
  return { port, child };
}

interface Proxy {
  readonly child: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

async function startProxy(configPath: string, workers: number): Promise<Proxy> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', '--conditions=switchyard:source', 'src/main.ts'],
      ...['--config', configPath, '--workers', String(workers)],
    ],
    { cwd: ingressDir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  // Serving once every process logged 'serving' (the workers share the port); info logs are start-up only.
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += String(d);
      const serving = [...stderr.matchAll(/"msg":"serving".*?"port":(\d+)/g)];
      if (serving.length === workers) resolve(Number(serving[0]![1]));
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return {
    child,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Load {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function toMs(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text)!;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(port: number, seconds: number): Load {
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', 'Host: web', `http://127.0.0.1:${port}/`],
    { encoding: 'utf8' },
  );
  const requests = Number(/(\d+) requests in/.exec(out)![1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const p50Ms = toMs(/50%\s+(\S+)/.exec(out)![1]!);
  const p99Ms = toMs(/99%\s+(\S+)/.exec(out)![1]!);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx answers`);
  return { requests, rps, p50Ms, p99Ms };
}

interface Row extends Load {
  readonly workers: number;
  readonly cpuPerReqUs: number;
  readonly primaryCpuPerReqUs: number;
}

async function measure(configPath: string, workers: number): Promise<Row> {
  const proxy = await startProxy(configPath, workers);
  try {
    wrk(proxy.port, 2); // Warm-up: JIT, pools, connections.
    const serving = workers > 1 ? children(proxy.child.pid!) : [proxy.child.pid!];
    const before = serving.map(cpuMs);
    const primaryBefore = workers > 1 ? cpuMs(proxy.child.pid!) : 0;
    const load = wrk(proxy.port, SECONDS);
    const used = serving.map(cpuMs).reduce((sum, v, i) => sum + v - before[i]!, 0);
    const primaryUsed = workers > 1 ? cpuMs(proxy.child.pid!) - primaryBefore : 0;
    return {
      workers,
      ...load,
      cpuPerReqUs: (used * 1000) / load.requests,
      primaryCpuPerReqUs: (primaryUsed * 1000) / load.requests,
    };
  } finally {
    await proxy.stop();
  }
}

async function main(): Promise<void> {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error('wrk is not installed (apt-get install wrk); this bench needs it');
      process.exit(2);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'sy-bench-workers-'));
  const backend = await startBackend();
  const configPath = join(dir, 'linker.yaml');
  await writeFile(
    configPath,
    `admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  servers: [{ip: 127.0.0.1, port: 0}]
  dtab: /svc/web => /$/inet/127.0.0.1/${backend.port}
`,
  );
  console.log(
    `workers bench: node ${process.version}, ${availableParallelism()} cores, wrk -t1 -c${CONNECTIONS} ${SECONDS}s, ${ROUNDS} round(s); wrk, backend and proxy share the cores`,
  );
  const rows: Row[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workers of [1, 2]) rows.push(await measure(configPath, workers));
  }
  console.log('round  workers     req/s   p50 ms   p99 ms   CPU µs/req (serving)   CPU µs/req (primary)');
  for (const [i, r] of rows.entries()) {
    console.log(
      `${String(Math.floor(i / 2) + 1).padStart(5)}  ${String(r.workers).padStart(7)}  ${r.rps.toFixed(0).padStart(8)}  ${r.p50Ms.toFixed(2).padStart(7)}  ${r.p99Ms.toFixed(2).padStart(7)}  ${r.cpuPerReqUs.toFixed(1).padStart(21)}  ${r.primaryCpuPerReqUs.toFixed(1).padStart(21)}`,
    );
  }
  const mean = (workers: number, f: (r: Row) => number) => {
    const sel = rows.filter((r) => r.workers === workers);
    return sel.reduce((s, r) => s + f(r), 0) / sel.length;
  };
  console.log(
    `ratios (2 workers / 1): throughput ${(mean(2, (r) => r.rps) / mean(1, (r) => r.rps)).toFixed(2)}×, ` +
      `CPU/request per worker ${(mean(2, (r) => r.cpuPerReqUs) / mean(1, (r) => r.cpuPerReqUs)).toFixed(2)}×, ` +
      `with the primary ${(mean(2, (r) => r.cpuPerReqUs + r.primaryCpuPerReqUs) / mean(1, (r) => r.cpuPerReqUs)).toFixed(2)}×`,
  );
  backend.child.kill();
  await rm(dir, { recursive: true, force: true });
}

await main();
