/**
 * The options of the admin server, in their own module so the route modules can read them
 * without importing the server (no cycles).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '@switchyard/core';
import type { RecentRequest } from '@switchyard/telemetry';
import type { AdminControlOptions } from './bearer-token.js';
import type {
  AcmeCertificateView,
  AdminRouterView,
  CertificateView,
  MetricsSource,
  ReadinessSource,
} from './views.js';

/**
 * A second listener that serves only `/admin/ping` and `/admin/ready` (and, with `metrics`,
 * `/admin/metrics/prometheus`): safe to bind on the pod IP for kubelet probes and scrapers while
 * the main listener, with the dashboard, delegator and config, stays on loopback.
 */
export interface AdminProbeOptions {
  /** Address to bind, e.g. `0.0.0.0` or the pod IP. Required: there is no safe default to guess. */
  readonly ip: string;
  /** Port to bind; `0` picks a free one. Must differ from the main listener's. */
  readonly port: number;
  /** Also serve `/admin/metrics/prometheus` here. Default false (metric labels name endpoints). */
  readonly metrics?: boolean;
}

/** What `/admin/config.json` shows: see `AdminServerOptions.configStatus`. */
export interface AdminConfigStatus {
  /** 1 for the config started with, +1 per applied reload. */
  readonly version: number;
  /** The last reload that failed (the running config kept serving), if any since start. */
  readonly lastError?: {
    readonly message: string;
    /** `file:line:column` of the first problem, when it has a place. */
    readonly file?: string;
    /** Wall-clock time of the failure, ISO 8601. */
    readonly at: string;
  };
  /** The configuration in effect. */
  readonly config: unknown;
}

/** A handler of an extra admin route (see `AdminServerOptions.controlRoutes`). */
export type AdminRouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options of `createAdminServer`. */
export interface AdminServerOptions {
  /** Address to bind. Default `127.0.0.1` (loopback, Linkerd 1's default). */
  readonly ip?: string;
  /** Port to bind; `0` picks a free one. Default 9990. */
  readonly port?: number;
  /** The probe-only listener; absent by default. */
  readonly probe?: AdminProbeOptions;
  /** The stats registry (core's `createMetricsRegistry()`). */
  readonly stats?: MetricsSource;
  readonly routers?: readonly AdminRouterView[];
  /** `/admin/ready` answers 200 only when every source is ready. */
  readonly readiness?: readonly ReadinessSource[];
  /** Certificates in use, for the dashboard. */
  readonly certificates?: () => readonly CertificateView[];
  /** Names whose certificates ACME manages (issuer, expiry, last attempt, last error), for the dashboard. */
  readonly acme?: () => readonly AcmeCertificateView[];
  /** A process-wide recent-requests buffer (in addition to each router's own). */
  readonly recentRequests?: () => readonly RecentRequest[];
  /** The loaded configuration, served by `/config.json` with secrets redacted. */
  readonly config?: unknown;
  /**
   * The configuration now in effect and its reload history, read per request: served by
   * `/admin/config.json` (and its `config` by `/config.json`, instead of `config`), secrets redacted.
   */
  readonly configStatus?: () => AdminConfigStatus;
  /**
   * Control endpoints (`POST /admin/shutdown`). Default off: they answer 404. When enabled they
   * require `Authorization: Bearer <token>` (401 otherwise).
   */
  readonly control?: AdminControlOptions;
  /**
   * Further control routes by path (POST only, bearer token required), registered only when
   * control is enabled, e.g. config's `/admin/dtab-overrides/mint`. Each handler answers itself.
   */
  readonly controlRoutes?: Readonly<Record<string, AdminRouteHandler>>;
  /** Called (once) after an authorised `POST /admin/shutdown` has been answered. */
  readonly onShutdown?: () => void | Promise<void>;
  /** Extra Host names (without port) accepted when bound to loopback, e.g. a port-forward name. */
  readonly allowedHosts?: readonly string[];
  /** Prepended to every Prometheus metric name. */
  readonly prometheusPrefix?: string;
  /** How long `/delegator.json` waits for a pending tree, ms. Default 10000 (`bindingTimeoutMs`). */
  readonly delegateTimeoutMs?: number;
  readonly clock?: Clock;
}
