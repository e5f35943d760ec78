/**
 * Access log lines in three formats chosen by name: Linkerd 1's `httpAccessLog` format
 * (NCSA-like, with the Host first), JSON lines for log pipelines, and the NCSA Common Log Format
 * that every log analyser reads. Formatting only: where lines go (a file, stdout, a rotating
 * stream) is the integrator's choice, since libraries never log.
 */
import { assertNever } from '@switchyard/core';

/** What the router knows about one finished request. */
export interface AccessLogEntry {
  /** Wall-clock ms when the response finished. */
  readonly timestamp: number;
  /** The request's Host header. */
  readonly host?: string;
  /** The client's address (`req.socket.remoteAddress`). */
  readonly remoteAddress?: string;
  readonly method: string;
  /** Request target as received (path and query). */
  readonly uri: string;
  /** `1.1`, `1.0` or `2.0`. */
  readonly httpVersion: string;
  readonly status: number;
  /**
   * Response body bytes sent, headers excluded (CLF's `%b`): what the router wrote, whether the
   * body had a `content-length` or was chunked; 0 for HEAD, 1xx, 204 and 304. `linkerd` and `clf`
   * print 0 (or absent) as `-`, as CLF does; `json` writes the number.
   */
  readonly responseBytes?: number;
  readonly referer?: string;
  readonly userAgent?: string;
  readonly durationMs?: number;
  readonly router?: string;
  /** Logical name (`l5d-dst-service`). */
  readonly service?: string;
  /** Bound client (`l5d-dst-client`). */
  readonly client?: string;
  readonly traceId?: string;
  /** The request's id (`l5d-reqid`), when the router assigned one (`json` only). */
  readonly requestId?: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A formatter of whole-second timestamps that formats each second once: a busy log writes many
 * lines per second, and building the date text was a large part of a line's cost.
 */
function perSecond(format: (d: Date) => string): (ms: number) => string {
  let second = Number.NaN;
  let text = '';
  return (ms) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      text = format(new Date(s * 1000));
    }
    return text;
  };
}

const linkerdTime = perSecond(
  (d) =>
    `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
      d.getUTCMinutes(),
    )}:${pad(d.getUTCSeconds())} +0000`,
);

/** Linkerd's timestamp: `dd/MM/yyyy:HH:mm:ss Z` in UTC, e.g. `05/03/2024:14:02:03 +0000`. */
export function formatAccessLogTime(ms: number): string {
  return linkerdTime(ms);
}

/** Quotes cannot end a field early: `"` and control characters are escaped. */
function field(v: string | undefined): string {
  if (v === undefined || v === '') return '-';
  return v.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** CLF's `%b`: `-` rather than 0 when no body bytes were sent. */
function clfBytes(bytes: number | undefined): string {
  return bytes === undefined || bytes === 0 ? '-' : String(bytes);
}

/**
 * One line in Linkerd's `httpAccessLog` format, without the newline:
 * `host remote - - [dd/MM/yyyy:HH:mm:ss +0000] "METHOD uri HTTP/1.1" status bytes "referer" "user-agent"`.
 */
export function formatHttpAccessLog(e: AccessLogEntry): string {
  const bytes = clfBytes(e.responseBytes);
  return `${field(e.host)} ${field(e.remoteAddress)} - - [${formatAccessLogTime(e.timestamp)}] "${e.method} ${field(
    e.uri,
  )} HTTP/${e.httpVersion}" ${e.status} ${bytes} "${field(e.referer)}" "${field(e.userAgent)}"`;
}

/** ISO 8601 of the last millisecond formatted, reused while requests end in the same one. */
let isoMs = Number.NaN;
let isoText = '';

/** One JSON line (no newline): every known field, `time` as ISO 8601. */
export function formatJsonAccessLog(e: AccessLogEntry): string {
  if (e.timestamp !== isoMs) {
    isoMs = e.timestamp;
    isoText = new Date(isoMs).toISOString();
  }
  // `time` first, then the entry's fields in their order; no rest/spread copies of the entry.
  const out: Record<string, unknown> = { time: isoText };
  for (const key in e) if (key !== 'timestamp') out[key] = e[key as keyof AccessLogEntry];
  return JSON.stringify(out);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const clfTime = perSecond(
  (d) =>
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
      d.getUTCMinutes(),
    )}:${pad(d.getUTCSeconds())} +0000`,
);

/**
 * One line in the NCSA Common Log Format, without the newline:
 * `remote - - [dd/Mon/yyyy:HH:mm:ss +0000] "METHOD uri HTTP/1.1" status bytes`, times in UTC.
 * CLF has no Host field: a log shared by several virtual hosts needs `linkerd` or `json`.
 */
export function formatCommonLog(e: AccessLogEntry): string {
  const time = clfTime(e.timestamp);
  const bytes = clfBytes(e.responseBytes);
  return `${field(e.remoteAddress)} - - [${time}] "${e.method} ${field(e.uri)} HTTP/${e.httpVersion}" ${e.status} ${bytes}`;
}

/** The access-log formats by name: `linkerd` (the default), `json` (JSON lines), `clf`. */
export type AccessLogFormat = 'linkerd' | 'json' | 'clf';

/** Every {@link AccessLogFormat}, in documentation order. */
export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = Object.freeze(['linkerd', 'json', 'clf']);

/** The line formatter for a format name (each returns one line without the newline). */
export function accessLogFormatter(format: AccessLogFormat): (entry: AccessLogEntry) => string {
  switch (format) {
    case 'linkerd':
      return formatHttpAccessLog;
    case 'json':
      return formatJsonAccessLog;
    case 'clf':
      return formatCommonLog;
    default:
      return assertNever(format);
  }
}
