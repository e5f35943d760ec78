/**
 * The request log as a router layer: each finished request goes to the recent-requests table
 * (when sampled) and to the access log, with what the router learned while it ran (name,
 * service, bound client, endpoint, request id) read when the response closes. A request that is
 * neither sampled nor logged costs one sampling decision. Typed over the router's `Inbound`
 * values (reading `exchange.record`), structurally.
 */
import type { Clock } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { type AccessLogEntry, type AccessLogFormat, accessLogFormatter } from './access-log.js';
import { bodyless, countBodyBytes } from './body-bytes.js';
import type {
  ObservedClientRequest,
  ObservedClientResponse,
  ObservedInbound,
  ObservedRecord,
  TelemetryServerLayer,
} from './observed.js';
import type { RecentRequests } from './recent-requests.js';
import { requestSpanOf } from './tracing-layers.js';

/** Where finished requests go: the recent-requests table and/or an access log. */
export interface RequestLogOptions {
  readonly recent?: RecentRequests;
  /** Receives one access log line per request, newline included (e.g. a file stream's `write`). */
  readonly accessLog?: (line: string) => void;
  /** The access log's line format. Default `linkerd` (Linkerd 1's `httpAccessLog`). */
  readonly accessLogFormat?: AccessLogFormat;
  readonly clock: Clock;
}

/** What the request log reads of a request when it starts, and how to read what was learned. */
interface Started {
  /** What the router learned, read when the response closes. */
  readonly learned: () => Learned;
  readonly router: string;
  readonly req: ObservedClientRequest;
  readonly res: ObservedClientResponse;
  readonly method: string;
  readonly uri: string;
  readonly host: string | undefined;
  readonly locals: Record<string, unknown>;
}

/** What the router learned by the time the response closed. */
type Learned = Pick<ObservedRecord, 'dst' | 'service' | 'client' | 'endpoint' | 'requestId'>;

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The shared part of both forms: when a request is sampled or an access log is written, reads
 * it (`start()`, called only then) and logs it when its response closes.
 */
function requestLogger(options: RequestLogOptions): (start: () => Started) => void {
  const { recent, accessLog, clock } = options;
  const format = accessLogFormatter(options.accessLogFormat ?? 'linkerd');
  return (start) => {
    const sampled = recent?.shouldSample() ?? false;
    if (!sampled && !accessLog) return;
    const request = start();
    const startMs = clock.now();
    const startNs = clock.nanoTime();
    const { res } = request;
    const bodyBytes = accessLog ? countBodyBytes(res) : undefined;
    res.once('close', () => {
      // Monotonic and sub-millisecond: wall-clock ms would show most proxied requests as 0 or 1 ms.
      const durationMs = Number(clock.nanoTime() - startNs) / 1e6;
      const { dst, client, endpoint, requestId, service: boundService } = request.learned();
      const service = boundService ?? (dst ? Path.show(dst) : undefined);
      const traceId = requestSpanOf(request.locals)?.context.traceId;
      const { method, uri, host, router } = request;
      const status = res.statusCode;
      if (sampled) {
        recent?.record({
          timestamp: startMs,
          router,
          method,
          uri,
          ...(host ? { host } : {}),
          ...(service ? { service } : {}),
          ...(client ? { client } : {}),
          ...(endpoint ? { endpoint } : {}),
          status,
          durationMs,
          ...(traceId ? { traceId } : {}),
          ...(requestId ? { requestId } : {}),
        });
      }
      if (accessLog) {
        const req = request.req;
        const responseBytes = bodyless(req.method ?? method, status) ? 0 : (bodyBytes?.() ?? 0);
        const referer = first(req.headers.referer);
        const userAgent = first(req.headers['user-agent']);
        const remoteAddress = req.socket.remoteAddress;
        const entry: AccessLogEntry = {
          timestamp: clock.now(),
          ...(host ? { host } : {}),
          ...(remoteAddress ? { remoteAddress } : {}),
          method,
          uri,
          httpVersion: req.httpVersion,
          status,
          responseBytes,
          ...(referer ? { referer } : {}),
          ...(userAgent ? { userAgent } : {}),
          durationMs,
          router,
          ...(service ? { service } : {}),
          ...(client ? { client } : {}),
          ...(traceId ? { traceId } : {}),
          ...(requestId ? { requestId } : {}),
        };
        accessLog(`${format(entry)}\n`);
      }
    });
  };
}

function description(options: RequestLogOptions): string {
  return [options.recent && 'recent requests', options.accessLog && 'access log'].filter(Boolean).join(', ');
}

/**
 * Records finished requests, as a server-stack layer (outermost, inside tracing: it sees every
 * final status and the request span). Reads `exchange.record` when the response closes. `I` is
 * the router's `Inbound`: `requestLogServerLayer<Inbound>(options)` is a `ServerLayer`.
 */
export function requestLogServerLayer<I extends ObservedInbound>(
  options: RequestLogOptions,
): TelemetryServerLayer<I> {
  const log = requestLogger(options);
  return {
    kind: 'server',
    role: 'requestLog',
    description: description(options),
    layer: (next) => (value) => {
      const { exchange, head } = value;
      log(() => ({
        router: exchange.router,
        req: exchange.req,
        res: exchange.res,
        method: head.method,
        uri: head.url,
        host: value.clientHost,
        locals: exchange.locals,
        learned: () => exchange.record,
      }));
      return next(value);
    },
  };
}
