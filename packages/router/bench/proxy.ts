/**
 * `pnpm bench:proxy` — the router against baselines, side by side, in interleaved rounds:
 * - direct: the backend itself (no proxy);
 * - bare: node:http + one undici Pool, `Pool.stream` pass-through with no routing (bench/proxy-child.ts);
 * - bare-dispatch: the same with `Pool.dispatch`, raw header arrays both ways (the floor of that design);
 * - http-proxy, fastify-http-proxy: the usual Node reverse proxies (keep-alive upstream);
 * - router: Switchyard (io.l5d.header.token → dtab → p2c → undici), default layers, no stats;
 * - router+telemetry: the same with metrics in a registry and a sampled span per request;
 * - nginx: `proxy_pass` with upstream keep-alive, when nginx is installed.
 *
 * Each proxy runs alone pinned to CPU 0 (`taskset`); backend and load generator share CPU 1.
 * Load comes from wrk when installed, otherwise autocannon. Per target and round it records
 * requests/s, p50/p99 at `BENCH_CONNECTIONS` (50) connections, p50 at one connection, and the
 * proxy's CPU time per request (its own `process.cpuUsage`, or /proc for nginx).
 * Env: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (50), BENCH_TARGETS (a comma list
 * of target names, default all), BENCH_PROF=1 (writes a V8 CPU profile of each Node proxy over the
 * measured rounds, taken with node:inspector's Profiler, to
 * .bench-out/<target>/profile.cpuprofile — open it in speedscope or Chrome DevTools — and a
 * per-function summary by package beside it, summary.txt, also printed; see
 * bench/profile-summary.ts). The printed report is also written to .bench-out/report.txt.
 * The children are bundled first into .bench-out/build (as the published build would be) and
 * run as plain JavaScript. BENCH_BASELINE=<a copy of an earlier .bench-out/build/proxy-child.js>
 * adds that bundle's router targets as `router@base` and `router+telemetry@base` (a before/after
 * in one run).
 *
 * Not a test: it asserts nothing, and its numbers depend on the machine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { has, spawnNginx } from './bench-procs.js';
import { type CpuProfile, formatSummary, sourceMapResolver, summarize } from './profile-summary.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PROFILE = process.env.BENCH_PROF === '1';
/** BENCH_BASELINE: an earlier proxy-child bundle whose router targets run beside the current ones. */
const BASELINE = process.env.BENCH_BASELINE;
const outDir = join(here, '..', '.bench-out');
const ONLY = process.env.BENCH_TARGETS?.split(',').map((t) => t.trim());
const wanted = (name: string) => ONLY === undefined || ONLY.includes(name);
const report: string[] = [];
/** Prints a report line and keeps it for .bench-out/report.txt. */
function out(line: string): void {
  console.log(line);
  report.push(line);
}

const pin = has('taskset');
const pinned = (cpu: number, argv: string[]) => (pin ? ['taskset', '-c', String(cpu), ...argv] : argv);

interface Proc {
  readonly port: number;
  readonly child: ChildProcess;
  /** Cumulative CPU time in µs. */
  cpu(): Promise<number>;
  /** Starts the CPU profiler (Node proxies only). */
  profileStart?(): void;
  /** Stops it and writes the profile to `file`. */
  profileStop?(file: string): Promise<void>;
}

/**
 * Bundles proxy-child.ts (workspace packages from source, npm dependencies external) the way
 * tsup builds the published package, so the proxies run plain JavaScript: no tsx loader and no
 * esbuild `keepNames` wrappers, which cost several percent of CPU per request.
 */
async function buildChild(): Promise<string> {
  const { build } = await import('tsup');
  const dir = join(outDir, 'build');
  await build({
    entry: { 'proxy-child': join(here, 'proxy-child.ts') },
    outDir: dir,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: [/^@switchyard\//],
    external: ['undici', 'lru-cache', 'fastify', '@fastify/http-proxy', 'http-proxy'],
    esbuildOptions(options) {
      options.conditions = ['switchyard:source'];
    },
    silent: true,
    clean: true,
    dts: false,
    sourcemap: PROFILE,
  });
  return join(dir, 'proxy-child.js');
}

let childScript: string | undefined;

async function startNode(mode: string, cpu: number, upstream?: number, script?: string): Promise<Proc> {
  childScript ??= await buildChild();
  if (PROFILE && mode !== 'backend') {
    rmSync(join(outDir, mode), { recursive: true, force: true });
    mkdirSync(join(outDir, mode), { recursive: true });
  }
  const [cmd, ...args] = pinned(cpu, [process.execPath, script ?? childScript, mode, String(upstream ?? '')]);
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'], cwd: join(here, '..') });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const ready = await next();
  const port = Number(ready.split(' ')[1]);
  return {
    port,
    child,
    async cpu() {
      const reply = next();
      child.stdin!.write('cpu\n');
      return Number((await reply).split(' ')[1]);
    },
    profileStart() {
      child.stdin!.write('prof-start\n');
    },
    async profileStop(file: string) {
      const reply = next();
      child.stdin!.write(`prof-stop ${file}\n`);
      await reply;
    },
  };
}

async function startNginx(upstream: number): Promise<Proc | undefined> {
  const nginx = await spawnNginx(upstream, {
    name: 'bench',
    streaming: false,
    wrap: (argv) => pinned(0, argv),
  });
  if (nginx === undefined) return undefined;
  const { port, child } = nginx;
  const tick = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return {
    port,
    child,
    async cpu() {
      // With taskset the child is taskset's exec'd nginx: same pid.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * tick;
    },
  };
}

interface Load {
  readonly rps: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
}

/** Parses wrk's `--latency` output; latencies in µs. */
function parseWrk(text: string): Load {
  const unit = (v: string, u: string) => Number(v) * (u === 's' ? 1e6 : u === 'ms' ? 1e3 : 1);
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return m ? unit(m[1]!, m[2]!) : Number.NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? Number.NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
  return { rps, requests, p50: pct('50'), p99: pct('99') };
}

function runLoad(port: number, connections: number, seconds: number): Load {
  const url = `http://127.0.0.1:${port}/`;
  if (has('wrk')) {
    const argv = pinned(1, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
    return parseWrk(execFileSync(argv[0]!, argv.slice(1)).toString());
  }
  const argv = pinned(1, ['npx', 'autocannon', '-j', '-c', String(connections), '-d', String(seconds), url]);
  const json = JSON.parse(
    execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
  );
  return {
    rps: json.requests.average,
    requests: json.requests.total,
    p50: json.latency.p50 * 1000,
    p99: json.latency.p99 * 1000,
  };
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuPerReq: number;
  p50c1: number;
  /** p50 at one connection minus direct's in the same round, µs. */
  addedC1: number;
}

function median(xs: number[]): number {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of per-round ratios a/b of one field (same round, so shared noise cancels). */
function roundRatio(samples: Map<string, Sample[]>, a: string, b: string, field: keyof Sample): number {
  const xs = samples.get(a);
  const ys = samples.get(b);
  if (xs === undefined || ys === undefined) return Number.NaN;
  return median(xs.map((x, i) => x[field] / (ys[i]?.[field] ?? Number.NaN)));
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const backend = await startNode('backend', 1);
  const targets: { name: string; proc: Proc; proxy: boolean }[] = [
    { name: 'direct', proc: backend, proxy: false },
  ];
  const nodeTargets: [string, string][] = [
    ['bare', 'bare'],
    ['bare-dispatch', 'bare-dispatch'],
    ['http-proxy', 'http-proxy'],
    ['fastify-http-proxy', 'fastify-http-proxy'],
    ['router', 'router'],
    ['router+telemetry', 'router-telemetry'],
  ];
  for (const [name, mode] of nodeTargets) {
    if (wanted(name)) targets.push({ name, proc: await startNode(mode, 0, backend.port), proxy: true });
  }
  // A before/after in one run: the router modes of an earlier child bundle (a copy of
  // .bench-out/build/proxy-child.js made before a change), as `router@base`, `router+telemetry@base`.
  if (BASELINE !== undefined) {
    for (const [name, mode] of nodeTargets.filter(([n]) => n.startsWith('router') && wanted(n))) {
      const proc = await startNode(mode, 0, backend.port, BASELINE);
      targets.push({ name: `${name}@base`, proc, proxy: true });
    }
  }
  const nginx = wanted('nginx') ? await startNginx(backend.port) : undefined;
  if (nginx !== undefined) targets.push({ name: 'nginx', proc: nginx, proxy: true });
  const gen = has('wrk') ? 'wrk' : 'autocannon';
  out(
    `# ${new Date().toISOString()} node ${process.version}, ${ROUNDS} rounds × ${SECONDS}s, ${CONNECTIONS} connections, load: ${gen}, pinning: ${pin ? 'proxy cpu0, backend+load cpu1' : 'none'}`,
  );
  // Warm-up: JIT and connection pools.
  for (const t of targets) runLoad(t.proc.port, CONNECTIONS, 2);
  // Profiles cover the measured rounds only (not start-up, module loading or warm-up).
  if (PROFILE) for (const t of targets) if (t.proxy) t.proc.profileStart?.();

  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so drift (thermal, neighbours) spreads over all targets.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order) {
      const before = await t.proc.cpu();
      const load = runLoad(t.proc.port, CONNECTIONS, SECONDS);
      const after = await t.proc.cpu();
      const c1 = runLoad(t.proc.port, 1, Math.max(2, Math.round(SECONDS / 2)));
      samples.get(t.name)!.push({
        rps: load.rps,
        p50: load.p50,
        p99: load.p99,
        cpuPerReq: t.proxy ? (after - before) / load.requests : Number.NaN,
        p50c1: c1.p50,
        addedC1: Number.NaN,
      });
      process.stderr.write(`round ${round + 1} ${t.name}: ${Math.round(load.rps)} req/s\n`);
    }
    // Latency added over direct at one connection, against direct's figure of the same round.
    const directC1 = samples.get('direct')![round]!.p50c1;
    for (const t of targets)
      samples.get(t.name)![round]!.addedC1 = t.proxy
        ? samples.get(t.name)![round]!.p50c1 - directC1
        : Number.NaN;
  }

  const bareCpu = median((samples.get('bare') ?? []).map((s) => s.cpuPerReq));
  const f = (x: number, d = 0) => (Number.isNaN(x) ? '–' : x.toFixed(d));
  out(
    '\n| target | req/s | p50 µs | p99 µs | proxy CPU µs/req | CPU vs bare | p50 µs @1 conn | added p50 µs @1 conn |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of targets) {
    const s = samples.get(t.name)!;
    const cpu = median(s.map((x) => x.cpuPerReq));
    out(
      `| ${t.name} | ${f(median(s.map((x) => x.rps)))} | ${f(median(s.map((x) => x.p50)))} | ${f(median(s.map((x) => x.p99)))} | ${f(cpu, 1)} | ${t.proxy ? `${f(cpu / bareCpu, 2)}×` : '–'} | ${f(median(s.map((x) => x.p50c1)))} | ${f(median(s.map((x) => x.addedC1)))} |`,
    );
  }
  out(
    '\nMedians over rounds. Ratios below are medians of per-round ratios (both figures from the same round):',
  );
  const r = (a: string, b: string, field: keyof Sample) => `${f(roundRatio(samples, a, b, field), 2)}×`;
  out(
    `- router CPU/req vs bare ${r('router', 'bare', 'cpuPerReq')}, vs bare-dispatch ${r('router', 'bare-dispatch', 'cpuPerReq')} (target ≤ 0.85× bare)`,
  );
  out(`- router+telemetry CPU/req vs bare ${r('router+telemetry', 'bare', 'cpuPerReq')}`);
  if (BASELINE !== undefined) {
    out(
      `- router CPU/req vs router@base ${r('router', 'router@base', 'cpuPerReq')}, router+telemetry vs router+telemetry@base ${r('router+telemetry', 'router+telemetry@base', 'cpuPerReq')}`,
    );
    out(`- router@base CPU/req vs bare ${r('router@base', 'bare', 'cpuPerReq')}`);
  }
  out(`- bare-dispatch CPU/req vs bare ${r('bare-dispatch', 'bare', 'cpuPerReq')}`);
  out(
    `- router req/s vs http-proxy ${r('router', 'http-proxy', 'rps')}, vs @fastify/http-proxy ${r('router', 'fastify-http-proxy', 'rps')} (target ≥ 2×)`,
  );
  out(`- router added p50 @1 conn vs bare's ${r('router', 'bare', 'addedC1')} (target ≤ 0.75×)`);
  out(
    `- nginx CPU/req vs router ${r('nginx', 'router', 'cpuPerReq')}, vs bare ${r('nginx', 'bare', 'cpuPerReq')}`,
  );
  if (PROFILE) {
    for (const [name, mode] of nodeTargets) {
      const t = targets.find((x) => x.name === name);
      await t?.proc.profileStop?.(join(outDir, mode, 'profile.cpuprofile'));
    }
  }
  await Promise.all(
    targets.map((t) => new Promise((resolve) => t.proc.child.once('exit', resolve).kill('SIGINT'))),
  );
  if (PROFILE) {
    const resolve = sourceMapResolver();
    for (const [name, mode] of nodeTargets) {
      if (!targets.some((t) => t.name === name)) continue;
      const file = join(outDir, mode, 'profile.cpuprofile');
      let profile: CpuProfile;
      try {
        profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      } catch {
        continue;
      }
      const text = formatSummary(`${name} (${file.slice(outDir.length + 1)})`, summarize(profile, resolve));
      writeFileSync(join(outDir, mode, 'summary.txt'), `${text}\n`);
      out(`\n${text}`);
    }
    out(`profiles and summaries in ${outDir}/<target>/`);
  }
  writeFileSync(join(outDir, 'report.txt'), `${report.join('\n')}\n`);
}

void main();
