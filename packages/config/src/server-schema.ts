/**
 * The schema of a router's `servers[]` entry: where it listens, TLS termination and the
 * per-connection limits. The three timeouts map onto Node's `headersTimeout`, `requestTimeout`
 * and `keepAliveTimeout`; combinations Node would refuse at start-up are rejected here, at the
 * offending field, so `--check` and start-up agree.
 */
import {
  boolean,
  list,
  number,
  object,
  optional,
  port,
  refine,
  rejectField,
  required,
  string,
  withDefault,
} from './schema.js';

const JVM_ONLY = 'a JVM/Finagle tuning knob with no Node.js equivalent';

/** Default time to receive a request head, ms: short, because a slow head is a slowloris. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default time to receive a whole request (head and body), ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
/** Default idle time of a client keep-alive connection between requests, ms. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

const serverTls = object(
  {
    enabled: withDefault(boolean(), true, 'Terminate TLS on this server.'),
    certPath: required(string({ nonEmpty: true }), 'PEM certificate (chain) file. Reloaded when it changes.'),
    keyPath: required(string({ nonEmpty: true }), 'PEM private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).'),
    intermediateCertsPath: optional(string(), 'PEM file of intermediate certificates sent after the leaf.'),
    caCertPath: optional(string(), 'PEM trust store for client certificates (mTLS).'),
    requireClientAuth: withDefault(
      boolean(),
      false,
      'Reject clients without a certificate signed by caCertPath.',
    ),
    protocols: optional(
      list(string({ values: ['TLSv1.2', 'TLSv1.3'] })),
      'Allowed TLS versions; default TLSv1.2 and up.',
    ),
    ciphers: optional(list(string()), 'OpenSSL cipher names; default is Node.js defaults.'),
  },
  { name: 'server tls' },
);

const serverFields = object(
  {
    port: withDefault(port(), 4140, 'Port to listen on.'),
    ip: withDefault(
      string(),
      '127.0.0.1',
      'Address to bind. Linkerd binds loopback by default; an edge needs 0.0.0.0.',
    ),
    clearContext: withDefault(
      boolean(),
      false,
      'Treat clients as untrusted: strip every l5d-* header both ways and never honour l5d-dtab/dtab-local.',
    ),
    tls: optional(serverTls, 'Terminate TLS (see the tls section).'),
    maxConcurrentRequests: optional(
      number({ integer: true, min: 1 }),
      'Requests beyond this are rejected at once with 503.',
    ),
    headersTimeoutMs: optional(
      number({ integer: true, min: 1 }),
      `Time to receive the request head, ms; a slower client (slowloris) is disconnected. Default ${DEFAULT_HEADERS_TIMEOUT_MS}, or requestTimeoutMs when shorter. Must be ≤ requestTimeoutMs.`,
    ),
    requestTimeoutMs: optional(
      number({ integer: true, min: 0 }),
      `Time to receive the whole request (head and body), ms; 0 disables. Default ${DEFAULT_REQUEST_TIMEOUT_MS}.`,
    ),
    keepAliveTimeoutMs: withDefault(
      number({ integer: true, min: 1 }),
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      'Idle time of a client keep-alive connection between requests, ms.',
    ),
    timeoutMs: optional(
      number({ integer: true, min: 1 }),
      'Former name of requestTimeoutMs, still accepted; give one of the two.',
    ),
    addForwardedHeader: withDefault(boolean(), false, 'Add an RFC 7239 Forwarded header.'),
  },
  {
    name: 'server',
    unsupported: {
      announce: 'announcers are not implemented; use Kubernetes Services for discovery',
      serverSession:
        'use headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs and the router limits instead',
    },
    ignored: { socketOptions: JVM_ONLY },
  },
);

/**
 * A server with its timeouts resolved: `timeoutMs` folded into `requestTimeoutMs`, the defaults
 * filled in, and `headersTimeoutMs ≤ requestTimeoutMs` whenever the request timeout is on.
 */
export const serverSchema = refine(serverFields, (s) => {
  const { timeoutMs, ...rest } = s;
  if (timeoutMs !== undefined && s.requestTimeoutMs !== undefined) {
    return rejectField(
      ['timeoutMs'],
      'timeoutMs and requestTimeoutMs are the same option',
      'keep requestTimeoutMs only',
    );
  }
  const requestName = timeoutMs !== undefined ? 'timeoutMs' : 'requestTimeoutMs';
  const requestTimeoutMs = s.requestTimeoutMs ?? timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (s.headersTimeoutMs !== undefined && requestTimeoutMs > 0 && s.headersTimeoutMs > requestTimeoutMs) {
    return rejectField(
      ['headersTimeoutMs'],
      `headersTimeoutMs (${s.headersTimeoutMs}) must be ≤ ${requestName} (${requestTimeoutMs}): the head is part of the request`,
      `lower headersTimeoutMs or raise ${requestName}`,
    );
  }
  const headersTimeoutMs =
    s.headersTimeoutMs ??
    (requestTimeoutMs > 0
      ? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs)
      : DEFAULT_HEADERS_TIMEOUT_MS);
  return { ...rest, requestTimeoutMs, headersTimeoutMs };
});
