/** Resolves `--workers` / `workers:` to a process count and how the workers listen. */
import { availableParallelism } from 'node:os';
import { listenHasReusePort } from '@switchyard/router';

/** Parses the `--workers` flag: a whole number ≥ 1 or `auto`; a string is the usage error. */
export function parseWorkersFlag(value: string): number | 'auto' | string {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= 1024
    ? n
    : `--workers expects a whole number 1–1024 or "auto", got "${value}"`;
}

/** How the workers listen: `cluster` (one socket, node:cluster hands connections out) or `reusePort`. */
export type WorkersListen = 'cluster' | 'reusePort';

/** Whether this Node's `server.listen()` takes `reusePort` (the router's check). */
export { listenHasReusePort };

/** Parses `--workers-listen cluster|reusePort`; a string that is neither is the usage error. */
export function parseWorkersListenFlag(
  value: string,
  version: string = process.versions.node,
): { readonly listen: WorkersListen } | string {
  if (value === 'cluster') return { listen: 'cluster' };
  if (value !== 'reusePort') return `--workers-listen expects "cluster" or "reusePort", got "${value}"`;
  return listenHasReusePort(version)
    ? { listen: 'reusePort' }
    : `--workers-listen reusePort needs Node >= 22.12 (server.listen has no reusePort option before), this is ${version}`;
}

/** The config's `workers:` (a count, or `{count, listen}`) as a count and a listen mode. */
export function workersSetting(
  value: number | 'auto' | { readonly count: number | 'auto'; readonly listen: WorkersListen },
): { readonly count: number | 'auto'; readonly listen: WorkersListen } {
  return typeof value === 'object' ? value : { count: value, listen: 'cluster' };
}

/** `auto` is the host's available parallelism (cgroup CPU limits are not read; say a number in a pod). */
export function resolveWorkers(value: number | 'auto', parallelism = availableParallelism()): number {
  return value === 'auto' ? Math.max(1, parallelism) : value;
}
