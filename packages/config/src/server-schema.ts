/**
 * The schema of a router's `servers[]` entry: where it listens, TLS termination and the
 * per-connection limits. The three timeouts map onto Node's `headersTimeout`, `requestTimeout`
 * and `keepAliveTimeout`; combinations Node would refuse at start-up are rejected here, at the
 * offending field, so `--check` and start-up agree.
 */
import { normalizeHost } from '@switchyard/acme';
import {
  boolean,
  JVM_ONLY,
  list,
  number,
  object,
  optional,
  port,
  refine,
  reject,
  rejectField,
  required,
  string,
  withDefault,
} from './schema.js';

/** Default time to receive a request head, ms: short, because a slow head is a slowloris. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default time to receive a whole request (head and body), ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
/** Default idle time of a client keep-alive connection between requests, ms. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

const httpsUrl = (what: string) =>
  refine(string({ nonEmpty: true }), (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return reject(`${what} is not a URL: ${JSON.stringify(text)}`);
    }
    return url.protocol === 'https:' || url.protocol === 'http:'
      ? text
      : reject(`${what} must be an http(s) URL, got ${url.protocol}`);
  });

/** A DNS name (or, with `pattern`, a `*.name` pattern) ACME may order a certificate for. */
const hostName = (pattern: boolean) =>
  refine(string({ nonEmpty: true }), (text) =>
    normalizeHost(text, pattern) !== undefined
      ? text
      : reject(`not a DNS name${pattern ? ' or *.name pattern' : ''}: ${JSON.stringify(text)}`),
  );

/** `tls.acme`: certificates from an ACME (RFC 8555) CA for this server (docs/acme.md). */
const acmeSchema = object(
  {
    directory: required(
      refine(httpsUrl('directory'), (text) =>
        text.startsWith('https:') ? text : reject('the ACME directory must be https'),
      ),
      "The CA's directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory. Configuring acme agrees to the CA's terms of service.",
    ),
    email: required(string({ nonEmpty: true }), 'Account contact (mailto:).'),
    caBundle: optional(
      string({ nonEmpty: true }),
      "PEM file of CAs to trust for the directory's HTTPS (a private CA such as step-ca or pebble).",
    ),
    challenge: required(
      string({ values: ['http-01', 'tls-alpn-01'] }),
      "http-01: answered on this router's servers at /.well-known/acme-challenge/ (one must listen on port 80 of the name); tls-alpn-01: answered by this server on ALPN acme-tls/1 (it must listen on 443).",
    ),
    hosts: optional(list(hostName(false)), 'Names to keep certificates for.'),
    onDemand: optional(
      refine(
        object(
          {
            allow: optional(
              list(hostName(true), { nonEmpty: true }),
              'Names or *.name patterns a handshake may order a certificate for.',
            ),
            ask: optional(httpsUrl('ask'), 'URL asked GET ?domain=<name>; only a 200 allows the order.'),
          },
          { name: 'onDemand' },
        ),
        (d) =>
          (d.allow === undefined) === (d.ask === undefined)
            ? reject('give one of allow and ask', 'allow: [patterns] or ask: URL')
            : d,
      ),
      'Order certificates for names first seen in a handshake (rate-limited).',
    ),
    untilIssued: withDefault(
      string({ values: ['default', 'fail'] }),
      'default',
      'What a handshake for a name without a certificate gets: the default certificate, or a failed handshake.',
    ),
    storage: optional(
      refine(
        object(
          {
            kind: required(string({ values: ['dir', 'kubernetes'] }), 'Where certificates are kept.'),
            path: optional(string({ nonEmpty: true }), 'kind dir: the directory.'),
            namespace: optional(string({ nonEmpty: true }), 'kind kubernetes: the namespace of the Secrets.'),
          },
          { name: 'storage' },
        ),
        (st) => {
          if (st.kind === 'dir') {
            if (st.path === undefined) return rejectField(['path'], 'kind dir needs path');
            if (st.namespace !== undefined)
              return rejectField(['namespace'], 'namespace is for kind kubernetes');
            return { kind: 'dir' as const, path: st.path };
          }
          if (st.namespace === undefined)
            return rejectField(['namespace'], 'kind kubernetes needs namespace');
          if (st.path !== undefined) return rejectField(['path'], 'path is for kind dir');
          return { kind: 'kubernetes' as const, namespace: st.namespace };
        },
      ),
      'Default: kind dir, path acme (next to the config file).',
    ),
  },
  { name: 'acme' },
);

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
    acme: optional(
      acmeSchema,
      'Certificates from an ACME CA for hosts, Ingress spec.tls hosts and on demand; certPath/keyPath stay the default certificate.',
    ),
  },
  { name: 'server tls' },
);

/** `servers[].h2`: the HTTP/2 settings users tune (the names of `@switchyard/tls`'s `H2ServerSettings`). */
const h2Settings = object(
  {
    maxConcurrentStreams: optional(
      number({ integer: true, min: 1, max: 2 ** 32 - 1 }),
      'SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once; more are refused. Default 100.',
    ),
    initialStreamWindowSize: optional(
      number({ integer: true, min: 0, max: 2 ** 31 - 1 }),
      "SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window, bytes. Default 65535.",
    ),
    initialConnectionWindowSize: optional(
      number({ integer: true, min: 65_535, max: 2 ** 31 - 1 }),
      "The connection's receive window, bytes. Default 1048576.",
    ),
    maxHeaderListSize: optional(
      number({ integer: true, min: 1024, max: 2 ** 32 - 1 }),
      'SETTINGS_MAX_HEADER_LIST_SIZE, bytes; a larger request is answered 431 on its stream. Default 16384.',
    ),
    pingIntervalMs: optional(
      number({ integer: true, min: 0, max: 2 ** 31 - 1 }),
      'Send a keep-alive PING this often, ms; 0 disables. Default 0.',
    ),
    pingTimeoutMs: optional(
      number({ integer: true, min: 1, max: 2 ** 31 - 1 }),
      'Close a connection whose PING is not answered within this, ms. Default 10000.',
    ),
    idleTimeoutMs: optional(
      number({ integer: true, min: 0, max: 2 ** 31 - 1 }),
      'Close (GOAWAY) a connection idle this long, ms; 0 disables. Default 300000.',
    ),
    drainMs: optional(
      number({ integer: true, min: 0, max: 2 ** 31 - 1 }),
      'On shutdown: GOAWAY, then in-flight streams have this long to finish, ms. Default 30000.',
    ),
  },
  { name: 'server h2' },
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
    h2: optional(
      h2Settings,
      'HTTP/2 settings. With tls, h2 is offered by ALPN unless alpnProtocols leaves it out; without tls, giving h2 (or router protocol h2) accepts h2c with prior knowledge next to HTTP/1.1 on the port.',
    ),
    alpnProtocols: optional(
      list(string({ values: ['h2', 'http/1.1'] })),
      'ALPN protocols a TLS server offers, in preference order. Default [h2, http/1.1].',
    ),
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
  if (s.alpnProtocols !== undefined && s.tls?.enabled !== true) {
    return rejectField(
      ['alpnProtocols'],
      'ALPN is negotiated in the TLS handshake',
      'add tls, or remove alpnProtocols',
    );
  }
  if (s.alpnProtocols !== undefined && s.alpnProtocols.length === 0) {
    return rejectField(['alpnProtocols'], 'lists no protocol', 'list h2, http/1.1 or both');
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
