/**
 * The schema of the `admin` block, kept in one module so the admin server's options (security,
 * listeners) have a single place to follow. The full admin (dashboard, delegator, metrics,
 * mutating endpoints) belongs on loopback; `probe` adds a second listener that serves only the
 * endpoints safe to expose on a pod IP, so Kubernetes probes work without exposing the rest.
 */
import {
  boolean,
  JVM_ONLY,
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

/** Paths the probe listener serves (GET and HEAD); everything else is 404 there. */
export const PROBE_PATHS = ['/admin/ping', '/admin/ready'] as const;

/** Shortest control token accepted (the admin package's `MIN_TOKEN_LENGTH`). */
const MIN_TOKEN_LENGTH = 16;

const securitySchema = refine(
  object(
    {
      controlEnabled: withDefault(
        boolean(),
        false,
        'Serve the control endpoints (POST /admin/shutdown). Off by default; when on, a bearer token is required.',
      ),
      controlToken: optional(
        refine(string(), (token) =>
          token.length >= MIN_TOKEN_LENGTH
            ? token
            : reject(`the control token must be at least ${MIN_TOKEN_LENGTH} characters`),
        ),
        'The bearer token control requests must send (`Authorization: Bearer …`). Prefer controlTokenPath.',
      ),
      controlTokenPath: optional(
        string({ nonEmpty: true }),
        'A file holding the bearer token, e.g. a mounted Secret; re-read when it changes.',
      ),
    },
    {
      unsupported: {
        uiEnabled: 'the dashboard is always served; bind the admin to loopback to keep it private',
        diagnosticsEnabled: 'diagnostics endpoints are not implemented',
        pathWhitelist: 'path allow-lists are not implemented; bind the admin to loopback',
        pathBlacklist: 'path deny-lists are not implemented; bind the admin to loopback',
      },
    },
  ),
  (security) => {
    if (security.controlToken !== undefined && security.controlTokenPath !== undefined) {
      return rejectField(['controlToken'], 'give controlToken or controlTokenPath, not both');
    }
    if (
      security.controlEnabled &&
      security.controlToken === undefined &&
      security.controlTokenPath === undefined
    ) {
      return rejectField(
        ['controlEnabled'],
        'control endpoints need a bearer token',
        'add controlTokenPath (a file, e.g. a mounted Secret) or controlToken',
      );
    }
    return security;
  },
);

const probeSchema = object(
  {
    ip: withDefault(
      string({ nonEmpty: true }),
      '0.0.0.0',
      'Address of the probe listener: all interfaces, so the kubelet reaches it on the pod IP.',
    ),
    port: required(port(), 'Port of the probe listener, e.g. 9991.'),
    metrics: withDefault(
      boolean(),
      false,
      'Also serve /admin/metrics/prometheus there (its labels name endpoints and certificate paths).',
    ),
  },
  { name: 'admin probe' },
);

/** The `admin` block. */
export function adminSchema() {
  return object(
    {
      ip: withDefault(string(), '127.0.0.1', 'Admin address; loopback by default so it is not an open door.'),
      port: withDefault(port(), 9990, 'Admin port.'),
      shutdownGraceMs: withDefault(number({ integer: true, min: 0 }), 10_000, 'Drain time on shutdown.'),
      security: optional(securitySchema, 'Who may use the control endpoints.'),
      probe: optional(
        probeSchema,
        `A second listener serving only ${PROBE_PATHS.join(' and ')} (GET; with metrics: true also Prometheus), for Kubernetes probes: keep the admin on loopback and point the probes here.`,
      ),
    },
    {
      name: 'admin',
      unsupported: {
        tls: 'admin TLS is not implemented; keep the admin on loopback',
        httpIdentifierPort: 'use /delegator.json to debug identification',
      },
      ignored: { workerThreads: JVM_ONLY, socketOptions: JVM_ONLY },
    },
  );
}

/** The admin block of a config that has none. */
export const ADMIN_DEFAULTS = Object.freeze({
  ip: '127.0.0.1',
  port: 9990,
  shutdownGraceMs: 10_000,
  security: undefined,
  probe: undefined,
});
