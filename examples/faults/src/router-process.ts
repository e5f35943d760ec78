/**
 * The router under test: the reference binary `examples/ingress` run as a real child process with
 * a config file written to the scenario's temp dir. Ports are ephemeral (`port: 0`); the bound
 * ports are read from the binary's `serving` and `admin` log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';
import type { ScenarioContext } from './harness.js';
import { readRssKb } from './rss.js';

const ingressDir = fileURLToPath(new URL('../../ingress/', import.meta.url));

/** One JSON log line of the binary. */
export type LogLine = Readonly<Record<string, unknown>> & { readonly msg?: string };

/** A running router process. */
export interface RouterProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The config file; rewrite it to reload. */
  readonly configPath: string;
  /** Bound ports of the router's servers, in config order. */
  readonly ports: readonly number[];
  readonly adminPort: number | undefined;
  /** Every log line so far. */
  readonly logs: readonly LogLine[];
  /** Resolves with the exit code (or signal name) when the process exits. */
  readonly exited: Promise<number | string>;
  alive(): boolean;
  rssKb(): number;
  /** Resolves with the first log line (from `fromIndex` on) matching `test`; rejects after `timeoutMs`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs: number, fromIndex?: number): Promise<LogLine>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * Writes `config` (an object, written as JSON, which is YAML) to `<dir>/linker.yaml`, starts the
 * binary on it and waits until `servers` servers (and the admin, when `admin`) are listening.
 */
export async function startRouter(
  ctx: ScenarioContext,
  config: unknown,
  options: { readonly servers: number; readonly admin?: boolean; readonly startTimeoutMs?: number },
): Promise<RouterProcess> {
  const configPath = join(ctx.dir, 'linker.yaml');
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=switchyard:source', 'src/main.ts', '--config', configPath],
    { cwd: ingressDir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  track(child);
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let rest = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: 'non-json', text: line });
      }
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const wake of waiters) wake();
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const waitForLog = (test: (line: LogLine) => boolean, timeoutMs: number, fromIndex = 0) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.slice(fromIndex).find(test);
        if (found) {
          done();
          resolve(found);
        } else if (!alive()) {
          done();
          reject(new Error(`router exited (${child.exitCode ?? child.signalCode}): ${tail(logs)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching router log line within ${timeoutMs} ms: ${tail(logs)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) => {
    if (alive()) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };
  ctx.defer(() => stop('SIGKILL'));
  ctx.explainFailure(() => [
    ...logs
      .filter((l) => l.level === 'warn' || l.level === 'error' || l.msg === 'non-json')
      .slice(-6)
      .map((l) => JSON.stringify(l).slice(0, 400)),
    ...(alive() ? [] : [`router exited: ${child.exitCode ?? child.signalCode}`]),
  ]);

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const serving = () => logs.filter((l) => l.msg === 'serving');
  await waitForLog(() => serving().length >= options.servers, timeoutMs);
  const adminLine = options.admin ? await waitForLog((l) => l.msg === 'admin', timeoutMs) : undefined;
  const adminPort = adminLine ? Number(new URL(String(adminLine.url)).port) : undefined;
  return {
    pid: child.pid!,
    child,
    configPath,
    ports: serving().map((l) => Number(l.port)),
    adminPort,
    logs,
    exited,
    alive,
    rssKb: () => readRssKb(child.pid!),
    waitForLog,
    stop,
  };
}

function tail(logs: readonly LogLine[]): string {
  return logs
    .slice(-5)
    .map((l) => JSON.stringify(l))
    .join(' | ');
}
