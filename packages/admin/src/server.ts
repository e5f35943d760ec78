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
 *
 * This module is the lifecycle (listen, close) and the dispatch; the routes live in `routes/*`
 * by area, the checks in `guards.ts`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@switchyard/core';
import { type BearerToken, createBearerToken } from './bearer-token.js';
import { AdminError } from './errors.js';
import { answerFailure, authorised, hostAllowed } from './guards.js';
import { ProcessMonitor } from './process-stats.js';
import { hostName, sameOrigin, sendJson, sendText } from './respond.js';
import { assetRoutes } from './routes/assets.js';
import type { AdminContext } from './routes/context.js';
import { controlRoutes } from './routes/control.js';
import { delegatorRoutes } from './routes/delegator.js';
import { dtabStoreReadRoutes, dtabStoreWriteRoutes } from './routes/dtab-store.js';
import { feedRoutes } from './routes/feeds.js';
import { healthAndMetricsRoutes } from './routes/health-metrics.js';
import { type Route, read } from './routes/route.js';
import type { AdminServerOptions } from './server-options.js';

/** Which listener a request arrived on. */
type Listener = { readonly kind: 'main' | 'probe'; readonly ip: string };

/** A bound listener and which one it is. */
type AdminListener = { readonly server: Server; readonly listener: Listener };

/**
 * The admin server each of our http.Servers serves now. A server gets one 'request' listener
 * when it is made; a takeover only changes its entry here (no listener is removed or replaced).
 */
const servedBy = new WeakMap<Server, (req: IncomingMessage, res: ServerResponse) => void>();

function urlOf(a: AddressInfo): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * The admin HTTP server. Create it with {@link createAdminServer}, then `listen()`; `close()`
 * stops it and drops open connections (dashboards keep them alive).
 */
export class AdminServer {
  readonly #options: AdminServerOptions;
  readonly #routes = new Map<string, Route>();
  readonly #monitor: ProcessMonitor;
  readonly #token: BearerToken | undefined;
  #servers: AdminListener[] = [];
  #address: AddressInfo | undefined;
  #probeAddress: AddressInfo | undefined;
  #listening = false;

  /** Throws `SY_ERR_ADMIN_CONFIG` naming the field when `control` or `probe` is unusable. */
  constructor(options: AdminServerOptions = {}) {
    this.#options = options;
    const clock = options.clock ?? systemClock;
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
    this.#monitor = new ProcessMonitor(() => clock.now());
    const ctx: AdminContext = {
      options,
      clock,
      monitor: this.#monitor,
      startedAt: clock.now(),
      controlPaths: () => [...this.#routes].filter(([, r]) => r.access === 'control').map(([p]) => p),
    };
    const tables = [
      healthAndMetricsRoutes(ctx),
      feedRoutes(ctx),
      delegatorRoutes(ctx),
      assetRoutes(),
      dtabStoreReadRoutes(ctx),
      // Disabled control routes are not registered at all: 404, indistinguishable from absent.
      this.#token === undefined ? [] : controlRoutes(ctx),
      this.#token === undefined ? [] : dtabStoreWriteRoutes(ctx),
    ];
    for (const table of tables) for (const [path, route] of table) this.#routes.set(path, route);
    this.#routes.set(
      '/admin',
      read((_req, res, url) => sendJson(res, 200, this.#index(), url)),
    );
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
   *
   * With `takeOver` (a running admin server being replaced, e.g. by a config reload), each of its
   * listeners on the address this one would bind — same ip and port, or port 0 for the port it
   * has — is kept and serves this server's routes from now on, open connections included: the
   * port never refuses a connection in between. Its other listeners close once this one listens;
   * then it is closed (call its `close()` anyway: it is a no-op).
   */
  async listen(options: { readonly takeOver?: AdminServer } = {}): Promise<AddressInfo> {
    if (this.#listening) {
      throw new AdminError('SY_ERR_ADMIN_LIFECYCLE', 'admin server is already listening');
    }
    this.#listening = true;
    const asked = options.takeOver;
    const previous = asked === undefined ? undefined : asked.#listening ? asked : undefined;
    const taken: AdminListener[] = [];
    const listenOn = async (listener: Listener, port: number): Promise<AddressInfo> => {
      const kept = previous === undefined ? undefined : previous.#release(listener, port);
      if (kept === undefined) return this.#bind(listener, port);
      taken.push(kept);
      this.#serve(kept.server, listener);
      this.#servers.push({ server: kept.server, listener });
      return kept.server.address() as AddressInfo;
    };
    try {
      await this.#token?.load();
      this.#address = await listenOn(
        { kind: 'main', ip: this.#options.ip ?? '127.0.0.1' },
        this.#options.port ?? 9990,
      );
      const probe = this.#options.probe;
      if (probe !== undefined)
        this.#probeAddress = await listenOn({ kind: 'probe', ip: probe.ip }, probe.port);
    } catch (err) {
      // Listeners taken over go back to the running server, which keeps serving on them.
      for (const t of taken) {
        this.#servers.splice(
          this.#servers.findIndex((s) => s.server === t.server),
          1,
        );
        previous!.#serve(t.server, t.listener);
        previous!.#servers.push(t);
      }
      await this.#closeServers();
      this.#listening = false;
      throw err;
    }
    this.#monitor.start();
    // What was not taken over closes now.
    await previous?.close();
    return this.#address;
  }

  /**
   * Gives up this server's listener of `listener`'s kind on the same address (same ip, and
   * `port`, or any port for 0), for a replacement to serve on; `undefined` when there is none.
   */
  #release(listener: Listener, port: number): AdminListener | undefined {
    const at = this.#servers.findIndex((s) => {
      const a = s.server.address() as AddressInfo | null;
      return (
        s.listener.kind === listener.kind &&
        s.listener.ip === listener.ip &&
        a !== null &&
        (port === 0 || a.port === port)
      );
    });
    return at < 0 ? undefined : this.#servers.splice(at, 1)[0];
  }

  /** Makes `server`'s requests (on new and open connections) reach this server's routes. */
  #serve(server: Server, listener: Listener): void {
    const first = !servedBy.has(server);
    servedBy.set(server, (req, res) => void this.#handle(req, res, listener));
    if (first)
      server.on('request', (req: IncomingMessage, res: ServerResponse) => servedBy.get(server)?.(req, res));
  }

  async #bind(listener: Listener, port: number): Promise<AddressInfo> {
    const server = createServer();
    this.#serve(server, listener);
    this.#servers.push({ server, listener });
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
        ({ server }) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse, listener: Listener): Promise<void> {
    const rawUrl = req.url ?? '/';
    try {
      const host = req.headers.host;
      if (host !== undefined && !hostAllowed(listener.ip, hostName(host), this.#options.allowedHosts ?? [])) {
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
      if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(req)) {
        sendText(res, 403, `cross-origin ${method} refused`);
        return;
      }
      if (route.access === 'control' && !(await authorised(this.#token as BearerToken, req, res, path)))
        return;
      await route.handler(req, res, url);
    } catch (err) {
      answerFailure(res, rawUrl, err);
    }
  }

  #index() {
    const endpoints = [...this.#routes].map(([path, r]) => ({
      path,
      methods: r.methods.filter((m) => m !== 'HEAD'),
    }));
    return { endpoints };
  }
}

/** Creates an {@link AdminServer}; call `listen()` to start it. */
export function createAdminServer(options: AdminServerOptions = {}): AdminServer {
  return new AdminServer(options);
}
