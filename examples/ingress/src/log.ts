/**
 * Structured logs for the reference ingress: one JSON object per line on stderr, with a level.
 * The libraries never log; they publish on diagnostics channels, and this module turns the
 * events operators care about into log lines.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type ConfigError, formatIssue } from '@switchyard/config';
import { WARM_UP_HOST, WARM_UP_PATH } from './warm-up-host.js';

/** Log levels in increasing severity. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes JSON log lines at or above a level. */
export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/** A logger writing to `write` (default stderr), dropping lines below `minLevel`. */
export function createLogger(
  minLevel: Level = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  return {
    log(level, msg, fields = {}) {
      if (ORDER[level] < ORDER[minLevel]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...serializable(fields) })}\n`);
    },
  };
}

/** Errors become `{message, code}`; everything else passes through JSON.stringify. */
function serializable(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { message: value.message, ...('code' in value ? { code: (value as { code: unknown }).code } : {}) }
        : value;
  }
  return out;
}

/**
 * The level of a rescued request error: what the client caused (4xx: unknown host, bad dtab
 * header, body too large, hanging up) is routine; what upstreams and load cause (502/503/504) is a warning;
 * only a fault of the router itself (500, or an error no code covers) is an error.
 */
export function routerErrorLevel(event: { readonly status?: unknown; readonly code?: unknown }): Level {
  const status = typeof event.status === 'number' ? event.status : 500;
  // The client hung up mid-request: its doing, whatever status the rescue computed.
  if (status < 500 || event.code === 'ECLIENTGONE') return 'info';
  if (status === 500 || event.code === 'unknown' || event.code === undefined) return 'error';
  return 'warn';
}

/** Library events worth a log line, with their level (fixed, or chosen per event). */
const EVENTS: Readonly<Record<string, Level | ((message: Record<string, unknown>) => Level)>> = {
  'switchyard:router:listening': 'info',
  'switchyard:router:closed': 'info',
  'switchyard:router:error': routerErrorLevel,
  'switchyard:admin:error': 'error',
  'switchyard:admin:shutdown': 'warn',
  'switchyard:telemetry:zipkin-error': 'warn',
  'switchyard:telemetry:otlp-error': 'warn',
  'switchyard:tls:certLoaded': 'info',
  'switchyard:tls:certRejected': 'error',
  'switchyard:tls:certRemoved': 'info',
  'switchyard:tls:certExpiring': 'warn',
  'switchyard:tls:handshakeFailed': 'debug',
  'switchyard:namers:fsLineError': 'warn',
  'switchyard:namers:dnssrvError': 'warn',
  'switchyard:identifiers:ingressProblem': 'warn',
  'switchyard:identifiers:gatewayProblem': 'warn',
  'switchyard:identifiers:ingressStatus': 'info',
  // Every overridden request is logged (who was sent where), as the dogfood pattern asks.
  'switchyard:identifiers:dtabOverride': 'info',
  'switchyard:identifiers:dtabOverrideRejected': 'warn',
  'switchyard:acme:issued': 'info',
  'switchyard:acme:failed': 'warn',
  'switchyard:acme:refused': 'debug',
  'switchyard:k8s:relist': 'info',
  'switchyard:k8s:watchError': 'warn',
  'switchyard:k8s:watchStart': 'debug',
  'switchyard:k8s:watchEnd': 'debug',
  'switchyard:k8s:list': 'debug',
  // Gaining or losing a Lease; a failed round (its `error`) is retried every retryPeriod.
  'switchyard:k8s:leaderElection': (event) => (event.error === undefined ? 'info' : 'debug'),
  'switchyard:balancers:markedDead': 'warn',
  'switchyard:balancers:revived': 'info',
  'switchyard:balancers:probe': 'debug',
  // Every change of a router's stored dtab, with its version; a rejected one is a warning.
  'switchyard:config:dtabStore': (event) => (event.kind === 'invalid' ? 'warn' : 'info'),
};

/** Logs library events; returns a function that stops. */
export function logLibraryEvents(logger: Logger): () => void {
  const stops = Object.entries(EVENTS).map(([name, level]) => {
    const onMessage = (message: unknown) => {
      const fields =
        typeof message === 'object' && message !== null
          ? (message as Record<string, unknown>)
          : { value: message };
      if (isWarmUpError(name, fields)) return;
      logger.log(
        typeof level === 'function' ? level(fields) : level,
        name.slice('switchyard:'.length),
        fields,
      );
    };
    subscribe(name, onMessage);
    return () => unsubscribe(name, onMessage);
  });
  return () => {
    for (const stop of stops) stop();
  };
}

/** The start-up warm-up's own request (see warm-up.ts) answered with an error: not worth a line. */
function isWarmUpError(name: string, fields: Record<string, unknown>): boolean {
  if (name !== 'switchyard:router:error') return false;
  for (let error = fields.error; error instanceof Error; error = error.cause) {
    // A message names the request line (unidentified) or the name made of its host or path.
    const { message } = error;
    if (message.includes(`GET ${WARM_UP_PATH}"`) || message.includes(WARM_UP_HOST)) return true;
  }
  return false;
}

/** The running server logs config problems as one JSON line, like everything else it logs. */
export function logConfigError(logger: Logger, error: ConfigError): void {
  logger.log('error', error.code === 'SY_ERR_CONFIG_START' ? 'failed to start' : 'invalid configuration', {
    code: error.code,
    issues: error.issues.map(formatIssue),
  });
}
