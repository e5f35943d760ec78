/**
 * The admin server (Linkerd 1's `:9990`): health, readiness, metrics in JSON and Prometheus
 * format, the delegator, the loaded config, shutdown, and the live dashboard.
 *
 * It is an operator's tool that must not become an attack surface: it binds to loopback by
 * default, answers reads only to GET/HEAD and control only to POST, sends no CORS headers,
 * refuses Host names that are not its own when bound to loopback (DNS rebinding) and refuses
 * cross-origin POSTs (a web page cannot shut the router down). Control endpoints are off unless
 * enabled, and then need a bearer token. An optional second listener (`probe`) serves only the
 * probe endpoints, so kubelet can reach them on the pod IP while everything else stays on
 * loopback.
 */
import { channel } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNever, type Clock, type MetricSample, systemClock } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import { flattenMetrics, formatPrometheus, type RecentRequest, treeMetrics } from '@switchyard/telemetry';
import { type AdminControlOptions, type BearerToken, createBearerToken } from './bearer-token.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './dashboard/bundle.generated.js';
import { DASHBOARD_FAVICON, dashboardHtml } from './dashboard/page.js';
import { buildDashboardFeed, safeReady } from './dashboard-feed.js';
import { delegate, readDelegateRequest } from './delegator.js';
import { AdminError } from './errors.js';
import { ProcessMonitor } from './process-stats.js';
import { redactConfig } from './redact.js';
import { hostName, isLoopback, isTrue, sameOrigin, send, sendJson, sendText } from './respond.js';
import { routerStacks } from './stacks.js';
import type { AdminRouterView, CertificateView, MetricsSource, ReadinessSource } from './views.js';

/** The package version reported by `/admin/server_info`. */
export const ADMIN_VERSION = '0.1.0';

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

/** Options of {@link createAdminServer}. */
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
  /** A process-wide recent-requests buffer (in addition to each router's own). */
  readonly recentRequests?: () => readonly RecentRequest[];
  /** The loaded configuration, served by `/config.json` with secrets redacted. */
  readonly config?: unknown;
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

/**
 * Published on `switchyard:admin:error` when a handler fails unexpectedly (answered with 500), or
 * when a control request finds the token file unreadable (answered with 503).
 */
export interface AdminErrorEvent {
  readonly path: string;
  readonly error: unknown;
}

const errorChannel = channel('switchyard:admin:error');
const shutdownChannel = channel('switchyard:admin:shutdown');

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
/** A handler of an extra admin route (see `AdminServerOptions.controlRoutes`). */
export type AdminRouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
/**
 * `read` routes answer GET/HEAD (the delegator also POST, which changes nothing); `control`
 * routes change the process and pass the bearer check. `probe` routes are also served by the
 * probe listener.
 */
interface Route {
  readonly methods: readonly string[];
  readonly access: 'read' | 'control';
  readonly probe: boolean;
  readonly handler: Handler;
}

/** Which listener a request arrived on. */
type Listener = { readonly kind: 'main' | 'probe'; readonly ip: string };

const HTML_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** RFC 6750 §3 challenge. */
const CHALLENGE = 'Bearer realm="switchyard-admin"';

function urlOf(a: AddressInfo): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * The admin HTTP server. Create it with {@link createAdminServer}, then `listen()`; `close()`
 * stops it and drops open connections (dashboards keep them alive).
 */
export class AdminServer {
  readonly #options: AdminServerOptions;
  readonly #clock: Clock;
  readonly #routes = new Map<string, Route>();
  readonly #monitor: ProcessMonitor;
  readonly #startedAt: number;
  readonly #token: BearerToken | undefined;
  #servers: Server[] = [];
  #address: AddressInfo | undefined;
  #probeAddress: AddressInfo | undefined;
  #listening = false;
  #shuttingDown = false;

  /** Throws `SY_ERR_ADMIN_CONFIG` naming the field when `control` or `probe` is unusable. */
  constructor(options: AdminServerOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#token = createBearerToken(options.control);
    const probe = options.probe;
    if (probe !== undefined && (typeof probe.ip !== 'string' || probe.ip === '')) {
      throw new AdminError('SY_ERR_ADMIN_CONFIG', 'probe.ip is required (e.g. 0.0.0.0 or the pod IP)');
    }
    if (probe !== undefined && !(Number.isInteger(probe.port) && probe.port >= 0 && probe.port <= 65535)) {
      throw new AdminError(
        'SY_ERR_ADMIN_CONFIG',
        `probe.port must be a port number, got ${String(probe.port)}`,
      );
    }
    this.#monitor = new ProcessMonitor(() => this.#clock.now());
    this.#startedAt = this.#clock.now();
    this.#defineRoutes();
  }

  /** The bound address of the main listener, once listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** The bound address of the probe listener, once listening (undefined without `probe`). */
  get probeAddress(): AddressInfo | undefined {
    return this.#probeAddress;
  }

  /** `http://ip:port` of the main listener (IPv6 addresses in brackets). */
  get url(): string {
    const a = this.#address;
    if (a === undefined) throw new AdminError('SY_ERR_ADMIN_LIFECYCLE', 'admin server is not listening');
    return urlOf(a);
  }

  /** `http://ip:port` of the probe listener. */
  get probeUrl(): string {
    const a = this.#probeAddress;
    if (a === undefined) {
      throw new AdminError('SY_ERR_ADMIN_LIFECYCLE', 'admin probe listener is not listening');
    }
    return urlOf(a);
  }

  /**
   * Loads the control token (when enabled), then binds the main listener and the probe
   * listener. Rejects if already listening, the token file is unusable or a bind fails; on
   * failure nothing stays bound.
   */
  async listen(): Promise<AddressInfo> {
    if (this.#listening) {
      throw new AdminError('SY_ERR_ADMIN_LIFECYCLE', 'admin server is already listening');
    }
    this.#listening = true;
    try {
      await this.#token?.load();
      const ip = this.#options.ip ?? '127.0.0.1';
      this.#address = await this.#bind({ kind: 'main', ip }, this.#options.port ?? 9990);
      const probe = this.#options.probe;
      if (probe !== undefined)
        this.#probeAddress = await this.#bind({ kind: 'probe', ip: probe.ip }, probe.port);
    } catch (err) {
      await this.#closeServers();
      this.#listening = false;
      throw err;
    }
    this.#monitor.start();
    return this.#address;
  }

  async #bind(listener: Listener, port: number): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      void this.#handle(req, res, listener);
    });
    this.#servers.push(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, listener.ip, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const what = listener.kind === 'main' ? 'admin server' : 'admin probe listener';
      throw new AdminError(
        'SY_ERR_ADMIN_LIFECYCLE',
        `${what} could not listen on ${listener.ip}:${port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return server.address() as AddressInfo;
  }

  /** Stops both listeners and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    this.#monitor.stop();
    await this.#closeServers();
  }

  async #closeServers(): Promise<void> {
    const servers = this.#servers;
    this.#servers = [];
    this.#address = undefined;
    this.#probeAddress = undefined;
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  #defineRoutes(): void {
    const get = (path: string, handler: Handler, probe = false) =>
      this.#routes.set(path, { methods: ['GET', 'HEAD'], access: 'read', probe, handler });
    get('/admin/ping', (_req, res) => sendText(res, 200, 'pong'), true);
    get('/admin/ready', (_req, res) => this.#ready(res), true);
    get('/admin/metrics.json', (_req, res, url) => this.#metricsJson(res, url));
    get(
      '/admin/metrics/prometheus',
      (_req, res) =>
        send(
          res,
          200,
          'text/plain; version=0.0.4; charset=utf-8',
          formatPrometheus(this.#samplesWithProcess(), { prefix: this.#options.prometheusPrefix ?? '' }),
        ),
      this.#options.probe?.metrics === true,
    );
    get('/admin/server_info', (_req, res, url) => sendJson(res, 200, this.#serverInfo(), url));
    get('/admin/dashboard.json', (_req, res, url) => sendJson(res, 200, this.#feed(), url));
    get('/admin/requests.json', (_req, res, url) => sendJson(res, 200, this.#recentRequests(), url));
    get('/admin/stacks.json', (_req, res, url) =>
      sendJson(res, 200, routerStacks(this.#options.routers ?? []), url),
    );
    get('/admin', (_req, res, url) => sendJson(res, 200, this.#index(), url));
    get('/config.json', (_req, res, url) =>
      sendJson(res, 200, redactConfig(this.#options.config ?? {}), url),
    );
    this.#routes.set('/delegator.json', {
      methods: ['GET', 'HEAD', 'POST'],
      access: 'read',
      probe: false,
      handler: async (req, res, url) => {
        const request = await readDelegateRequest(req, url);
        const tree = await delegate(request, this.#options.routers ?? [], {
          clock: this.#clock,
          timeoutMs: this.#options.delegateTimeoutMs ?? 10_000,
        });
        sendJson(res, 200, tree, url);
      },
    });
    const page = (_req: IncomingMessage, res: ServerResponse) =>
      send(res, 200, 'text/html; charset=utf-8', dashboardHtml(), { 'content-security-policy': HTML_CSP });
    get('/', page);
    get('/delegator', page);
    get('/dashboard.js', (_req, res) => send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS));
    get('/dashboard.css', (_req, res) => send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS));
    get('/favicon.svg', (_req, res) => send(res, 200, 'image/svg+xml', DASHBOARD_FAVICON));
    get('/favicon.ico', (_req, res) => send(res, 200, 'image/svg+xml', DASHBOARD_FAVICON));
    // Disabled control routes are not registered at all: 404, indistinguishable from absent.
    if (this.#token !== undefined) {
      this.#routes.set('/admin/shutdown', {
        methods: ['POST'],
        access: 'control',
        probe: false,
        handler: (req, res) => this.#shutdown(req, res),
      });
      for (const [path, handler] of Object.entries(this.#options.controlRoutes ?? {})) {
        this.#routes.set(path, { methods: ['POST'], access: 'control', probe: false, handler });
      }
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse, listener: Listener): Promise<void> {
    const rawUrl = req.url ?? '/';
    try {
      const host = req.headers.host;
      if (host !== undefined && !this.#hostAllowed(listener.ip, hostName(host))) {
        sendText(
          res,
          403,
          `Host ${JSON.stringify(host)} is not allowed (admin answers only to its own names)`,
        );
        return;
      }
      let url: URL;
      try {
        url = new URL(rawUrl, 'http://admin.invalid');
      } catch {
        sendText(res, 400, 'malformed request target');
        return;
      }
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const route = this.#routes.get(path);
      if (route === undefined || (listener.kind === 'probe' && !route.probe)) {
        sendText(res, 404, `not found: ${path}`);
        return;
      }
      const method = req.method ?? 'GET';
      if (!route.methods.includes(method)) {
        sendText(res, 405, `${method} is not allowed on ${path}`, { allow: route.methods.join(', ') });
        return;
      }
      if (method === 'POST' && !sameOrigin(req)) {
        sendText(res, 403, 'cross-origin POST refused');
        return;
      }
      if (route.access === 'control' && !(await this.#authorised(req, res, path))) return;
      await route.handler(req, res, url);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof AdminError && err.code === 'SY_ERR_ADMIN_BAD_REQUEST')
        sendText(res, 400, err.message);
      else if (err instanceof AdminError && err.code === 'SY_ERR_ADMIN_UNKNOWN_ROUTER')
        sendText(res, 404, err.message);
      else {
        if (errorChannel.hasSubscribers)
          errorChannel.publish({ path: rawUrl, error: err } satisfies AdminErrorEvent);
        sendText(res, 500, err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** The bearer check of control routes; answers 401/503 itself and returns false when refused. */
  async #authorised(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const verdict = await (this.#token as BearerToken).check(req.headers.authorization);
    switch (verdict.kind) {
      case 'ok':
        return true;
      case 'missing':
        sendText(res, 401, `${path} requires Authorization: Bearer <token>`, {
          'www-authenticate': CHALLENGE,
        });
        return false;
      case 'invalid':
        sendText(res, 401, 'invalid bearer token', {
          'www-authenticate': `${CHALLENGE}, error="invalid_token"`,
        });
        return false;
      case 'unavailable':
        // Fail closed, and tell the operator why through the error channel (the body stays vague).
        if (errorChannel.hasSubscribers)
          errorChannel.publish({ path, error: verdict.error } satisfies AdminErrorEvent);
        sendText(res, 503, 'admin token unavailable');
        return false;
      default:
        return assertNever(verdict);
    }
  }

  #hostAllowed(ip: string, name: string): boolean {
    if (!isLoopback(ip)) return true; // reachable by its real address anyway; nothing to rebind
    if (isLoopback(name) || name === ip) return true;
    return (this.#options.allowedHosts ?? []).some((h) => h.toLowerCase() === name);
  }

  #ready(res: ServerResponse): void {
    const notReady = (this.#options.readiness ?? []).filter((r) => !safeReady(r)).map((r) => r.name);
    if (notReady.length === 0) sendText(res, 200, 'ready');
    else sendText(res, 503, `not ready: ${notReady.join(', ')}`);
  }

  #samples(): readonly MetricSample[] {
    return this.#options.stats?.snapshot() ?? [];
  }

  /** The registry plus `process/*` gauges (Linkerd's `jvm/*` counterpart). */
  #samplesWithProcess(): readonly MetricSample[] {
    const p = this.#monitor.read();
    const gauge = (name: string, value: number): MetricSample => ({
      kind: 'gauge',
      name: ['process', name],
      value,
    });
    return [
      ...this.#samples(),
      gauge('uptime_ms', p.uptimeMs),
      gauge('rss_bytes', p.rssBytes),
      gauge('heap_used_bytes', p.heapUsedBytes),
      gauge('heap_total_bytes', p.heapTotalBytes),
      gauge('event_loop_lag_p99_ms', p.eventLoopLag.p99),
      gauge('event_loop_lag_max_ms', p.eventLoopLag.max),
    ];
  }

  #metricsJson(res: ServerResponse, url: URL): void {
    const q = url.searchParams.get('q') ?? '';
    if (isTrue(url.searchParams.get('tree'))) {
      const tree = treeMetrics(this.#samplesWithProcess(), q);
      if (tree === undefined) sendText(res, 404, `no metrics under ${JSON.stringify(q)}`);
      else sendJson(res, 200, tree, url);
      return;
    }
    sendJson(res, 200, flattenMetrics(this.#samplesWithProcess(), q), url);
  }

  #serverInfo() {
    const now = this.#clock.now();
    return {
      name: 'switchyard',
      version: ADMIN_VERSION,
      startTime: new Date(this.#startedAt).toISOString(),
      uptimeMs: now - this.#startedAt,
      node: process.version,
      pid: process.pid,
      platform: process.platform,
      arch: process.arch,
      routers: (this.#options.routers ?? []).map((r) => r.label),
    };
  }

  #index() {
    const endpoints = [...this.#routes].map(([path, r]) => ({
      path,
      methods: r.methods.filter((m) => m !== 'HEAD'),
    }));
    return { endpoints };
  }

  #recentRequests(): RecentRequest[] {
    const all: RecentRequest[] = [...(this.#options.recentRequests?.() ?? [])];
    for (const r of this.#options.routers ?? []) all.push(...(r.recentRequests?.() ?? []));
    return all.sort((a, b) => b.timestamp - a.timestamp);
  }

  #feed() {
    return {
      ...buildDashboardFeed({
        time: this.#clock.now(),
        samples: this.#samples(),
        routers: this.#options.routers ?? [],
        readiness: this.#options.readiness ?? [],
        certificates: this.#options.certificates?.() ?? [],
        process: this.#monitor.read(),
        showDtab: (r) => Dtab.show(r.dtab()),
      }),
      recentRequests: this.#recentRequests().slice(0, 50),
    };
  }

  async #shutdown(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const first = !this.#shuttingDown;
    this.#shuttingDown = true;
    sendText(res, 202, first ? 'shutting down' : 'already shutting down');
    if (!first) return;
    if (shutdownChannel.hasSubscribers) shutdownChannel.publish({});
    if (!res.writableFinished) await new Promise<void>((resolve) => res.once('finish', () => resolve()));
    await this.#options.onShutdown?.();
  }
}

/** Creates an {@link AdminServer}; call `listen()` to start it. */
export function createAdminServer(options: AdminServerOptions = {}): AdminServer {
  return new AdminServer(options);
}
