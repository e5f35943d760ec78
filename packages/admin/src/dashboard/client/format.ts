/** Number formatting shared by the dashboard's cards and tables. */

/** `1234` → `1.2k`, `0.5` → `0.5`. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  return n.toFixed(a >= 10 ? 1 : 2);
}

/** Requests per second. */
export function rate(n: number | undefined): string {
  return n === undefined ? '—' : `${compact(n)}`;
}

/** A ratio in [0, 1] as a percentage; `—` when unknown. */
export function percent(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '—';
  if (r >= 1) return '100%';
  return `${(Math.floor(r * 10000) / 100).toFixed(2)}%`;
}

/** Milliseconds. */
export function ms(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`;
  return `${n >= 100 ? Math.round(n) : n.toFixed(n >= 10 ? 1 : 2)} ms`;
}

/** Bytes as MiB. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** A duration like `3d 4h`, `5m 2s`. */
export function duration(msTotal: number): string {
  const s = Math.max(0, Math.floor(msTotal / 1000));
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${hr}h`;
  if (hr > 0) return `${hr}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
