/** Reads a process's resident set size from /proc (Linux), and samples its peak. */
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in KiB, or 0 when the process is gone or /proc has no such field. */
export function readRssKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples VmRSS every `intervalMs` until stopped; `peak()` is the highest value seen. */
export function sampleRss(pid: number, intervalMs = 100): { peak(): number; stop(): number } {
  let peak = readRssKb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, readRssKb(pid));
  }, intervalMs);
  timer.unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, readRssKb(pid));
      return peak;
    },
  };
}
