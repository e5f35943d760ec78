/**
 * The schema of a Linkerd-1-compatible config file: `admin`, `routers`, `namers`, `telemetry`,
 * `usage`. Option names, defaults and meanings follow Linkerd 1.x (linkerd/docs/config.md,
 * routers.md, protocol-http.md); options we do not implement are rejected by name, never ignored.
 */

import { Dtab, DtabParseError } from '@switchyard/dtab';
import { listenHasReusePort } from '@switchyard/router';
import { ACCESS_LOG_FORMATS } from '@switchyard/telemetry';
import { ADMIN_DEFAULTS, adminSchema } from './admin-schema.js';
import { dtabOverridesSchema, signedDtabOverridesSchema } from './dtab-overrides.js';
import { dtabStoreSchema } from './dtab-store.js';
import { limitsSchema } from './kinds/limits.js';
import type { KindCategory, KindConfig } from './registry.js';
import {
  boolean,
  INVALID,
  JVM_ONLY,
  list,
  number,
  object,
  oneOrMany,
  optional,
  type ParseContext,
  refine,
  reject,
  rejectField,
  required,
  type Schema,
  string,
  withDefault,
} from './schema.js';
import { serverSchema } from './server-schema.js';
import type { FieldPath } from './source.js';
import { policySchema } from './static-policies.js';

/** The plugin categories a linker config refers to. */
export interface LinkerKinds {
  readonly namer: KindCategory<unknown, unknown>;
  readonly identifier: KindCategory<unknown, unknown>;
  readonly loadBalancer: KindCategory<unknown, unknown>;
  readonly failureAccrual: KindCategory<unknown, unknown>;
  readonly responseClassifier: KindCategory<unknown, unknown>;
  readonly telemeter: KindCategory<unknown, unknown>;
  readonly backoff: KindCategory<unknown, unknown>;
}

/** A dtab in a config string; parse errors point into the file at the bad character. */
export function dtabSchema(): Schema<Dtab> {
  return refine(string(), (text, path: FieldPath, context) => {
    try {
      return Dtab.read(text);
    } catch (error) {
      if (!(error instanceof DtabParseError)) throw error;
      const scalar = context.source.scalarAt(path);
      const where = scalar
        ? {
            line: scalar.line + (scalar.block ? error.line : error.line - 1),
            column:
              error.line === 1 && !scalar.block
                ? scalar.column + error.column - 1
                : scalar.indent + error.column,
          }
        : context.source.locate(path);
      return reject(`invalid dtab: ${error.message}`, undefined, where);
    }
  });
}

/** A finagle-style token-bucket budget: Linkerd's `retries.budget` and `requeueBudget`. */
function budgetSchema(what: 'retries' | 'requeues') {
  return object({
    minRetriesPerSec: withDefault(number({ min: 0 }), 10, `Floor of ${what} per second.`),
    percentCanRetry: withDefault(
      number({ min: 0, max: 1 }),
      0.2,
      `Fraction of requests that may be ${what === 'retries' ? 'retried' : 'requeued'}.`,
    ),
    ttlSecs: withDefault(number({ integer: true, min: 1 }), 10, 'Window over which deposits count.'),
  });
}

function backoffs(kinds: LinkerKinds) {
  return kinds.backoff.schema();
}

function clientParams(kinds: LinkerKinds) {
  return {
    loadBalancer: optional(kinds.loadBalancer.schema(), 'Load balancer; default p2c.'),
    failureAccrual: optional(
      kinds.failureAccrual.schema(),
      'Circuit breaking; default 5 consecutive failures, jittered 5–300 s backoff.',
    ),
    requestAttemptTimeoutMs: optional(
      number({ integer: true, min: 1 }),
      'Timeout of each attempt (503 on expiry).',
    ),
    protocol: optional(
      string({ values: ['http/1.1', 'h2c', 'h2'] }),
      'Protocol to backends: http/1.1, h2c (HTTP/2 with prior knowledge) or h2 (HTTP/2 over TLS by ALPN; needs tls). Default http/1.1; h2c (h2 with tls) on a protocol h2 router.',
    ),
    hostConnectionPool: optional(
      object(
        {
          minSize: withDefault(
            number({ integer: true, min: 0 }),
            0,
            'Accepted for compatibility: connections are opened on demand.',
          ),
          maxSize: optional(
            number({ integer: true, min: 1 }),
            'Most connections per endpoint (default 256).',
          ),
          idleTimeMs: optional(number({ integer: true, min: 1 }), 'Close connections idle this long.'),
          maxWaiters: optional(
            number({ integer: true, min: 0 }),
            'Accepted for compatibility: requests wait in the pool queue, bounded by maxConcurrentRequests and timeouts.',
          ),
        },
        { name: 'hostConnectionPool' },
      ),
      'Connection pool per endpoint.',
    ),
    tls: optional(
      object(
        {
          commonName: optional(
            string(),
            "Name the backend certificate must carry; also sent as SNI. In an io.l5d.static entry it may use the prefix's captures, e.g. {service}.example.com.",
          ),
          trustCertsBundle: optional(string(), 'PEM bundle of trusted CAs.'),
          disableValidation: withDefault(
            boolean(),
            false,
            'Do not verify the server certificate (testing only).',
          ),
          clientAuth: optional(
            object({
              certPath: required(string(), 'Client certificate.'),
              keyPath: required(string(), 'Client key.'),
            }),
            'Client certificate for mTLS to the backend.',
          ),
        },
        { name: 'client tls', unsupported: { trustCerts: 'deprecated in Linkerd 1; use trustCertsBundle' } },
      ),
      'TLS to backends.',
    ),
    requeueBudget: optional(budgetSchema('requeues'), 'Budget for retrying connection failures.'),
    failFast: withDefault(
      boolean(),
      false,
      'Accepted for compatibility: failure accrual already skips dead endpoints.',
    ),
  };
}

function serviceParams(kinds: LinkerKinds) {
  return {
    totalTimeoutMs: optional(
      number({ integer: true, min: 1 }),
      'Timeout of the whole request including retries (503).',
    ),
    responseClassifier: optional(
      kinds.responseClassifier.schema(),
      'Decides success/retryable; default io.l5d.http.nonRetryable5XX.',
    ),
    retries: optional(
      object({
        budget: optional(budgetSchema('retries'), 'Retry budget (finagle RetryBudget).'),
        backoff: optional(backoffs(kinds), 'Delay between retries: constant or jittered.'),
      }),
      'Retries of responses the classifier calls retryable.',
    ),
  };
}

function routerSchema(kinds: LinkerKinds) {
  return object(
    {
      protocol: required(
        string({ values: ['http', 'h2'] }),
        "http: HTTP/1.1 (and HTTP/2 where a server's h2 or TLS ALPN enables it). h2 (Linkerd 1's h2 router): HTTP/2 on every server (h2c on plain ports) and to backends (h2c, or h2 when the client has tls).",
      ),
      label: optional(
        string({ nonEmpty: true }),
        'Router name in metrics and the admin; default the protocol.',
      ),
      dstPrefix: withDefault(string(), '/svc', 'Prefix of names produced by identifiers.'),
      dtab: withDefault(dtabSchema(), Dtab.empty, 'Base delegation table.'),
      identifier: optional(
        oneOrMany(kinds.identifier.schema()),
        'Identifier(s), tried in order; default io.l5d.header.token.',
      ),
      dtabOverrides: optional(
        dtabOverridesSchema(dtabSchema()),
        'Dentries appended for requests carrying a cookie or header (dogfooding); safe with clearContext. Applied on reload.',
      ),
      signedDtabOverrides: optional(
        signedDtabOverridesSchema,
        'Honour HMAC-signed, expiring override cookies minted by the admin. Applied on reload.',
      ),
      dtabStore: optional(
        dtabStoreSchema,
        'A dtab shared by replicas (a Dtab resource or a file), appended to `dtab` and applied live; see dtab-store.md.',
      ),
      servers: required(list(serverSchema, { nonEmpty: true }), 'Listening servers.'),
      limits: optional(
        limitsSchema,
        'Rate limits (429 + Retry-After) per server, client address and destination prefix, and adaptive concurrency limits (503); see limits.md.',
      ),
      client: optional(
        policySchema(
          'client',
          clientParams(kinds),
          { ignored: { socketOptions: JVM_ONLY, clientSession: JVM_ONLY } },
          (schema) =>
            refine(schema, (c) =>
              c.protocol === 'h2' && c.tls === undefined
                ? rejectField(
                    ['protocol'],
                    'h2 is negotiated by TLS ALPN',
                    'add client tls (in the same entry), or use h2c (prior knowledge)',
                  )
                : c,
            ),
        ),
        'Parameters of clients (one per bound name): for every name (io.l5d.global), or per prefix of the bound name (io.l5d.static).',
      ),
      service: optional(
        policySchema('service', serviceParams(kinds), {}, (schema) => schema),
        'Parameters of services (one per logical name): for every name (io.l5d.global), or per prefix of the logical name (io.l5d.static).',
      ),
      bindingTimeoutMs: withDefault(
        number({ integer: true, min: 1 }),
        10_000,
        'Binding a name gives up after this (503).',
      ),
      bindingCache: optional(
        object({
          paths: withDefault(
            number({ integer: true, min: 1 }),
            1000,
            'Accepted for compatibility (Switchyard caches bound trees and clients).',
          ),
          trees: withDefault(number({ integer: true, min: 1 }), 1000, 'Cached bound trees.'),
          bounds: withDefault(
            number({ integer: true, min: 1 }),
            1000,
            'Accepted for compatibility (Switchyard caches bound trees and clients).',
          ),
          clients: withDefault(number({ integer: true, min: 1 }), 1000, 'Cached clients.'),
          idleTtlSecs: withDefault(number({ integer: true, min: 1 }), 600, 'Evict entries idle this long.'),
        }),
        'Sizes of the binding caches.',
      ),
      interpreter: optional(
        object({
          kind: withDefault(string({ values: ['default'] }), 'default', 'The dtab + namers interpreter.'),
        }),
        'How names are bound; only the default interpreter is implemented.',
      ),
      maxHeadersKB: withDefault(
        number({ integer: true, min: 1 }),
        8,
        'Largest request header block (431 beyond).',
      ),
      maxInitialLineKB: withDefault(
        number({ integer: true, min: 1 }),
        4,
        'Accepted for compatibility: Node.js counts the request line within maxHeadersKB.',
      ),
      maxRequestKB: optional(
        number({ integer: true, min: 1 }),
        'Largest request body (413 beyond); default unlimited, streamed.',
      ),
      streamingEnabled: withDefault(
        refine(boolean(), (on) =>
          on ? on : reject('bodies always stream in Switchyard', 'remove the option'),
        ),
        true,
        'Bodies always stream in Switchyard; false is rejected.',
      ),
      httpAccessLog: optional(string(), 'File to append the access log to.'),
      httpAccessLogFormat: withDefault(
        string({ values: ACCESS_LOG_FORMATS }),
        'linkerd',
        "Access log line format: linkerd (Linkerd 1's httpAccessLog), json (JSON lines) or clf (Common Log Format).",
      ),
    },
    {
      name: 'router',
      unsupported: {
        announcers: 'announcers are not implemented',
        originator: 'originator is not implemented',
        compressionLevel: 'response compression is not implemented',
        streamAfterContentLengthKB: 'bodies always stream in Switchyard',
        maxResponseKB: 'response size limits are not implemented; responses stream unbounded',
      },
      ignored: {
        tracePropagator:
          'Switchyard always reads W3C traceparent and B3 (and l5d-ctx-trace without clearContext) and writes them all',
      },
    },
  );
}

/** How `--workers` processes listen: one socket shared by node:cluster, or one each with SO_REUSEPORT. */
export type WorkersListen = 'cluster' | 'reusePort';

/** `workers` in its long form: the count and how the workers listen. */
export interface WorkersSetting {
  readonly count: number | 'auto';
  readonly listen: WorkersListen;
}

/**
 * `workers`: how many processes serve the routers' ports — a positive integer, or `auto` (the
 * host's available parallelism, resolved by the binary) — or `{count, listen}` where `listen` is
 * `cluster` (default: node:cluster shares one socket) or `reusePort` (each worker binds its own
 * with SO_REUSEPORT; needs Node >= 22.12, refused here before). Only the reference binary reads it.
 */
export function workersSchema(
  nodeVersion: string = process.versions.node,
): Schema<number | 'auto' | WorkersSetting> {
  const count = (value: unknown, path: FieldPath, context: ParseContext) => {
    if (value === 'auto') return 'auto';
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1024) return value;
    context.report(
      context.source.issue(path, `expected a whole number 1–1024 or "auto", got ${JSON.stringify(value)}`),
    );
    return INVALID;
  };
  return {
    parse(value, path, context) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return count(value, path, context);
      const { count: n = 1, listen = 'cluster', ...rest } = value as Record<string, unknown>;
      let ok = true;
      for (const key of Object.keys(rest)) {
        context.report(
          context.source.issue([...path, key], `unknown field ${key} (workers takes count and listen)`),
        );
        ok = false;
      }
      const parsed = count(n, [...path, 'count'], context);
      if (parsed === INVALID) ok = false;
      if (listen !== 'cluster' && listen !== 'reusePort') {
        context.report(
          context.source.issue(
            [...path, 'listen'],
            `expected "cluster" or "reusePort", got ${JSON.stringify(listen)}`,
          ),
        );
        ok = false;
      } else if (listen === 'reusePort' && !listenHasReusePort(nodeVersion)) {
        context.report(
          context.source.issue(
            [...path, 'listen'],
            `reusePort needs Node >= 22.12 (server.listen has no reusePort option before), this is ${nodeVersion}; use "cluster"`,
          ),
        );
        ok = false;
      }
      return ok ? { count: parsed as number | 'auto', listen: listen as WorkersListen } : INVALID;
    },
    describe: () => ({ type: 'scalar', name: 'integer, "auto", or {count, listen: cluster | reusePort}' }),
  };
}

/** The whole config file. */
export function linkerSchema(kinds: LinkerKinds) {
  return object(
    {
      admin: withDefault(adminSchema(), { ...ADMIN_DEFAULTS }, 'The admin server.'),
      routers: required(
        list(routerSchema(kinds), { nonEmpty: true }),
        'Routers (one per protocol/port set).',
      ),
      namers: withDefault(list(kinds.namer.schema()), [], 'Namers, each mounted at /#/<prefix>.'),
      telemetry: withDefault(list(kinds.telemeter.schema()), [], 'Metrics exporters and tracers.'),
      workers: withDefault(
        workersSchema(),
        1 as number | 'auto' | WorkersSetting,
        'Processes serving the same ports (switchyard-ingress): a number, "auto" for one per available core, or {count, listen: cluster | reusePort} (reusePort: each worker binds its own socket, Node >= 22.12). `--workers` overrides the count; a reload applies a new count, a new listen needs a restart.',
      ),
    },
    {
      name: 'linker',
      ignored: { usage: 'Switchyard never phones home; usage reporting is accepted and ignored' },
    },
  );
}

/** A validated linker config. */
export type LinkerConfig =
  ReturnType<ReturnType<typeof linkerSchema>['parse']> extends infer T ? Exclude<T, symbol> : never;

/** A validated router config. */
export type RouterConfig = LinkerConfig['routers'][number];
/** A validated server config. */
export type ServerConfig = RouterConfig['servers'][number];
/** A validated plugin reference. */
export type { KindConfig };
