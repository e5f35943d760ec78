/**
 * The values of HTTPRoute rule options the CRD validates: `timeouts` (GEP-2257 durations) and a
 * `RequestMirror` filter's share. Pure parsing, no imports, so the model can use it.
 */

/** A rule's timeouts in ms; `undefined` means none (absent, or `0s`, which disables it). */
export interface RuleTimeouts {
  /** From the request's arrival to the end of the response sent to the client. */
  readonly requestMs: number | undefined;
  /** One attempt to a backend (each retry gets its own). */
  readonly backendRequestMs: number | undefined;
}

const UNITS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION = /^(?:[0-9]{1,5}(?:h|ms|m|s)){1,4}$/;
const PART = /([0-9]{1,5})(h|ms|m|s)/g;

/**
 * Parses a Gateway API Duration (GEP-2257: one to four `<1–5 digits><h|m|s|ms>` parts, e.g.
 * `1h30m`, `500ms`, `0s`) to ms, or returns why not.
 */
export function parseGatewayDuration(text: string): number | string {
  if (!DURATION.test(text)) return `"${text}" is not a duration like 10s, 1m30s or 500ms (GEP-2257)`;
  let ms = 0;
  for (const m of text.matchAll(PART)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
}

/**
 * Normalizes `rules[].timeouts`: durations parsed, `backendRequest` not above `request` (the
 * spec's rule); `0s` is no timeout. Returns the record, `undefined` when absent, or a reason
 * naming the field (relative to the rule).
 */
export function normalizeTimeouts(
  raw: unknown,
): RuleTimeouts | undefined | { field: string; reason: string } {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { field: 'timeouts', reason: 'is not an object' };
  const t = raw as Record<string, unknown>;
  const out: { requestMs: number | undefined; backendRequestMs: number | undefined } = {
    requestMs: undefined,
    backendRequestMs: undefined,
  };
  for (const [key, field] of [
    ['request', 'requestMs'],
    ['backendRequest', 'backendRequestMs'],
  ] as const) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return { field: `timeouts.${key}`, reason: 'must be a duration string' };
    const ms = parseGatewayDuration(v);
    if (typeof ms === 'string') return { field: `timeouts.${key}`, reason: ms };
    out[field] = ms === 0 ? undefined : ms;
  }
  if (
    out.requestMs !== undefined &&
    out.backendRequestMs !== undefined &&
    out.backendRequestMs > out.requestMs
  )
    return { field: 'timeouts.backendRequest', reason: 'must not be longer than timeouts.request' };
  if (out.requestMs === undefined && out.backendRequestMs === undefined) return undefined;
  return Object.freeze(out);
}

/**
 * The share a `RequestMirror` filter copies: `percent` (0–100), or `fraction` (`numerator` over
 * `denominator`, default 100), or every request. Returns a reason when malformed.
 */
export function mirrorShare(filter: Readonly<Record<string, unknown>>): [number, number] | string {
  if (filter.percent !== undefined) {
    const p = filter.percent;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 100)
      return 'percent must be an integer from 0 to 100';
    return [p, 100];
  }
  const f = filter.fraction;
  if (f !== undefined) {
    if (typeof f !== 'object' || f === null) return 'fraction must be an object';
    const { numerator, denominator = 100 } = f as Record<string, unknown>;
    if (
      typeof numerator !== 'number' ||
      typeof denominator !== 'number' ||
      !Number.isInteger(numerator) ||
      !Number.isInteger(denominator) ||
      numerator < 0 ||
      denominator < 1 ||
      numerator > denominator
    )
      return 'fraction needs integers 0 ≤ numerator ≤ denominator, denominator ≥ 1';
    return [numerator, denominator];
  }
  return [1, 1];
}
