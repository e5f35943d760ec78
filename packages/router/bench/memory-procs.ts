/**
 * Process handling shared by the memory benches: forking memory-child.ts, starting nginx as a
 * streaming pass-through, and reading a process's resident memory from /proc (current RSS and its
 * peak, VmHWM, which `clear_refs` resets), so Node processes and nginx are measured the same way
 * without sampling gaps.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNginx } from './bench-procs.js';

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

/**
 * nginx as a streaming pass-through (`proxy_buffering off`, `proxy_request_buffering off`: the
 * same design as the router, no temp files), one process (`master_process off`), upstream
 * keep-alive; undefined when nginx is not installed.
 */
export async function startNginx(upstream: number): Promise<Proc | undefined> {
  const nginx = await spawnNginx(upstream, { name: 'memory', streaming: true });
  if (nginx === undefined) return undefined;
  const { port, child } = nginx;
  return {
    name: 'nginx',
    port,
    pid: child.pid!,
    gc: async () => undefined,
    ask: async () => ({}),
    stop: () => stopChild(child),
  };
}

export const mib = (bytes: number) => (bytes / MIB).toFixed(1);
