/**
 * Access log lines: Linkerd 1's `httpAccessLog` format (NCSA-like, with the Host first) and a
 * JSON-lines variant for log pipelines. Formatting only: where lines go (a file, stdout, a
 * rotating stream) is the integrator's choice, since libraries never log.
 */

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
  /** Response `content-length`, when known. */
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
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Linkerd's timestamp: `dd/MM/yyyy:HH:mm:ss Z` in UTC, e.g. `05/03/2024:14:02:03 +0000`. */
export function formatAccessLogTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

/** Quotes cannot end a field early: `"` and control characters are escaped. */
function field(v: string | undefined): string {
  if (v === undefined || v === '') return '-';
  return v.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * One line in Linkerd's `httpAccessLog` format, without the newline:
 * `host remote - - [dd/MM/yyyy:HH:mm:ss +0000] "METHOD uri HTTP/1.1" status bytes "referer" "user-agent"`.
 */
export function formatHttpAccessLog(e: AccessLogEntry): string {
  const bytes = e.responseBytes === undefined ? '-' : String(e.responseBytes);
  return `${field(e.host)} ${field(e.remoteAddress)} - - [${formatAccessLogTime(e.timestamp)}] "${e.method} ${field(
    e.uri,
  )} HTTP/${e.httpVersion}" ${e.status} ${bytes} "${field(e.referer)}" "${field(e.userAgent)}"`;
}

/** One JSON line (no newline): every known field, `time` as ISO 8601. */
export function formatJsonAccessLog(e: AccessLogEntry): string {
  const { timestamp, ...rest } = e;
  return JSON.stringify({ time: new Date(timestamp).toISOString(), ...rest });
}
