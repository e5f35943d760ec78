/** Resolves `--workers` / `workers:` to a process count. */
import { availableParallelism } from 'node:os';

/** Parses the `--workers` flag: a whole number ≥ 1 or `auto`; a string is the usage error. */
export function parseWorkersFlag(value: string): number | 'auto' | string {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= 1024
    ? n
    : `--workers expects a whole number 1–1024 or "auto", got "${value}"`;
}

/** `auto` is the host's available parallelism (cgroup CPU limits are not read; say a number in a pod). */
export function resolveWorkers(value: number | 'auto', parallelism = availableParallelism()): number {
  return value === 'auto' ? Math.max(1, parallelism) : value;
}
