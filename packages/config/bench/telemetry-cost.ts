/**
 * What request telemetry costs a router, per request, side by side in one run (issue 17 item 4):
 * the same router built from YAML by `Linker.start`, in its own process, in front of one real
 * backend, with
 * - off: no `telemetry:` section;
 * - default: `io.l5d.zipkin` with every field at its default (sampleRate 0.001; W3C, B3 and
 *   `l5d-ctx-trace` propagation);
 * - 1 %: the same at `sampleRate: 0.01`;
 * - 100 %: the same at `sampleRate: 1.0` (every request a SERVER and a CLIENT span, exported);
 * - log: no tracing, a JSON access log file (`httpAccessLog`, `httpAccessLogFormat: json`).
 * The spans go to a Zipkin stand-in that reads and discards them. Rounds are interleaved; per
 * case and round, after a warm-up run, the router's CPU with no load is measured for 2 s, then wrk
 * drives `BENCH_CONNECTIONS` connections for `BENCH_SECONDS`; the router process reports its own
 * CPU time (`process.cpuUsage`), the idle rate is subtracted pro rata, and the table prints CPU µs
 * per request and
 * its ratio to `off` in the same round (median over rounds). The routers run a bundle of this
 * file (workspace packages from source, built with tsup first, as the router bench does), as
 * plain JavaScript: no tsx loader. With BENCH_PIN=1 the router runs alone on CPU 0 (`taskset`)
 * and the rest on CPU 1 — only worth it on an idle box; on a shared one every bench pins to CPU 0.
 *
 * Run: cd packages/config && npx tsx --conditions=switchyard:source bench/telemetry-cost.ts
 * Env: BENCH_ROUNDS (5), BENCH_SECONDS (4), BENCH_CONNECTIONS (20), BENCH_PIN=1, BENCH_PROF=1
 * (the routers write --cpu-prof profiles to packages/config/.bench-out/telemetry/<case>/).
 *
 * Not a test: it asserts nothing, and its numbers depend on the machine.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const PROFILE = process.env.BENCH_PROF === '1';
const PIN = process.env.BENCH_PIN === '1';
/** How long the router's CPU with no load is measured, per case and round. */
const IDLE_MS = 2000;

/** The router's config per case; `backend` and `zipkin` are the ports of the stand-ins. */
const CASES: Record<string, (backend: number, zipkin: number) => string> = {
  off: () => '',
  default: (_, zipkin) => `telemetry:\n- kind: io.l5d.zipkin\n  host: 127.0.0.1\n  port: ${zipkin}\n`,
  '1%': (_, zipkin) =>
    `telemetry:\n- kind: io.l5d.zipkin\n  host: 127.0.0.1\n  port: ${zipkin}\n  sampleRate: 0.01\n`,
  '100%': (_, zipkin) =>
    `telemetry:\n- kind: io.l5d.zipkin\n  host: 127.0.0.1\n  port: ${zipkin}\n  sampleRate: 1.0\n`,
  log: () => '',
};

function routerYaml(name: string, backend: number, zipkin: number): string {
  const log = name === 'log' ? '  httpAccessLog: access.log\n  httpAccessLogFormat: json\n' : '';
  return `routers:
- protocol: http
  servers: [{port: 0}]
  dtab: /svc/* => /$/inet/127.0.0.1/${backend}
${log}${CASES[name]!(backend, zipkin)}`;
}

// ---- child: one router from a config file; prints "ready <port>", answers "cpu" with µs.
async function child(file: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { createDefaultKinds, Linker, parseLinkerConfig } = await import('../src/index.js');
  const kinds = createDefaultKinds();
  const linker = await Linker.start(parseLinkerConfig(readFileSync(file, 'utf8'), file, kinds), {
    kinds,
    baseDir: dirname(file),
    noAdmin: true,
  });
  process.stdout.write(`ready ${linker.routers[0]!.servers[0]!.port}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.stdout.write(`cpu ${user + system}\n`);
    } else if (line === 'exit') {
      await linker.close();
      process.exit(0);
    }
  }
}

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const pin = PIN && has('taskset');
const pinned = (cpu: number, argv: string[]) => (pin ? ['taskset', '-c', String(cpu), ...argv] : argv);

interface Router {
  readonly port: number;
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Bundles this file (workspace packages from source; the config package's own dependencies
 * external, resolved from its node_modules) so that the routers run plain JavaScript.
 */
async function buildChild(outDir: string): Promise<string> {
  const { build } = await import('tsup');
  const dir = join(outDir, 'build');
  await build({
    entry: { 'telemetry-cost': fileURLToPath(import.meta.url) },
    outDir: dir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: [/^@switchyard\//],
    external: ['tsup'],
    esbuildOptions(options) {
      options.conditions = ['switchyard:source'];
      // Bundled CommonJS dependencies (undici) call require().
      options.banner = {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      };
    },
    silent: true,
    clean: true,
    dts: false,
    sourcemap: PROFILE,
  });
  return join(dir, 'telemetry-cost.js');
}

async function startRouter(script: string, name: string, file: string, outDir: string): Promise<Router> {
  const flags = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, name.replace('%', 'pct'))}`] : [];
  const [cmd, ...args] = pinned(0, [process.execPath, ...flags, script, 'child', file]);
  const proc: ChildProcess = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'], cwd: dirname(script) });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const port = Number((await next()).split(' ')[1]);
  return {
    port,
    async cpu() {
      const reply = next();
      proc.stdin!.write('cpu\n');
      return Number((await reply).split(' ')[1]);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.stdin!.write('exit\n');
      }),
  };
}

/**
 * Requests wrk completed in the run (its "N requests in" line). Asynchronous: the backend and
 * the collector run in this process's event loop.
 */
async function wrk(port: number): Promise<number> {
  const [cmd, ...args] = pinned(1, [
    'wrk',
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    '-H',
    'Host: web',
    `http://127.0.0.1:${port}/`,
  ]);
  const { stdout: out } = await promisify(execFile)(cmd!, args, { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  if (m === null) throw new Error(`wrk printed no request count:\n${out}`);
  return Number(m[1]);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!has('wrk')) throw new Error('wrk is needed (apt-get install wrk)');
  const outDir = join(here, '..', '.bench-out', 'telemetry');
  mkdirSync(outDir, { recursive: true });
  const script = await buildChild(outDir);
  const dir = mkdtempSync(join(tmpdir(), 'sy-telemetry-bench-'));
  const body = 'hello from backend'; // 18 bytes, as the router bench
  const backend = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
  });
  const collector = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  const backendPort = await listen(backend);
  const zipkinPort = await listen(collector);
  const names = Object.keys(CASES);
  const files = new Map<string, string>();
  for (const name of names) {
    const caseDir = join(dir, name.replace('%', 'pct'));
    mkdirSync(caseDir);
    const file = join(caseDir, 'linker.yaml');
    writeFileSync(file, routerYaml(name, backendPort, zipkinPort));
    files.set(name, file);
  }

  const perRequest = new Map<string, number[]>(names.map((n) => [n, []]));
  const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
  const rps = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const us = new Map<string, number>();
    for (const name of names) {
      const router = await startRouter(script, name, files.get(name)!, outDir);
      await wrk(router.port); // warm-up: JIT, pools, the binding cache
      // The router's CPU with no load (timers, GC of the warm-up), subtracted pro rata: on a
      // busy shared box a router gets few requests through and this would dominate otherwise.
      const idleStart = process.hrtime.bigint();
      const idleBefore = await router.cpu();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      const idle = (await router.cpu()) - idleBefore;
      const idleNs = Number(process.hrtime.bigint() - idleStart);
      const loadStart = process.hrtime.bigint();
      const before = await router.cpu();
      const requests = await wrk(router.port);
      const loaded = (await router.cpu()) - before;
      const cpu = loaded - (idle * Number(process.hrtime.bigint() - loadStart)) / idleNs;
      await router.stop();
      us.set(name, cpu / requests);
      perRequest.get(name)!.push(cpu / requests);
      rps.get(name)!.push(requests / SECONDS);
    }
    for (const name of names) ratios.get(name)!.push(us.get(name)! / us.get('off')!);
    process.stderr.write(
      `round ${round}: ${names.map((n) => `${n} ${us.get(n)!.toFixed(1)} µs`).join(', ')}\n`,
    );
  }
  backend.close();
  collector.close();
  rmSync(dir, { recursive: true, force: true });

  const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
  console.log(
    `\nTelemetry cost per request (${ROUNDS} interleaved rounds × ${SECONDS} s, wrk ${CONNECTIONS} connections, ` +
      `router pinned: ${pin}, Node ${process.versions.node}, load average ${load})\n`,
  );
  console.log('| case    | CPU µs/request (median) | ratio to off (median, range)   | requests/s (median) |');
  console.log('| ------- | ----------------------- | ------------------------------ | ------------------- |');
  for (const name of names) {
    const r = ratios.get(name)!;
    console.log(
      `| ${name.padEnd(7)} | ${median(perRequest.get(name)!).toFixed(1).padStart(23)} | ${`${median(r).toFixed(3)} (${Math.min(...r).toFixed(3)}–${Math.max(...r).toFixed(3)})`.padEnd(30)} | ${median(rps.get(name)!).toFixed(0).padStart(19)} |`,
    );
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]!);
else await main();
