/**
 * The linker: builds everything a validated config describes — namers, the interpreter, routers
 * (see build-router.ts) and the admin server — and owns their lifecycle. `reload` (see
 * linker-reload.ts) applies a new config, every section, all or nothing, without dropping a
 * request in flight; what it cannot apply live is refused and the running config keeps serving.
 */
import type { AddressInfo } from 'node:net';
import type { CertificateStatus } from '@switchyard/acme';
import type { AdminServer, AdminServerOptions } from '@switchyard/admin';
import { type Clock, createMetricsRegistry, type MetricsRegistry, systemClock } from '@switchyard/core';
import {
  autoConfig,
  createKubeClient,
  createLeaderElector,
  type KubeClient,
  type KubeConnectionConfig,
  type LeaderElector,
  type LeaderElectorOptions,
  type SharedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import type { Router } from '@switchyard/router';
import type { RecentRequest } from '@switchyard/telemetry';
import type { BuildContext, Readiness } from './build-context.js';
import type { BuiltRouter } from './build-router.js';
import type { DefaultKinds } from './default-kinds.js';
import { ConfigError } from './errors.js';
import { adminPlacement, createLinkerAdmin } from './linker-admin.js';
import { buildNamers, buildTelemetry } from './linker-parts.js';
import { type ReloadResult, reloadLinker } from './linker-reload.js';
import type { LinkerConfig } from './linker-schema.js';
import { type LinkerState, type RouterParts, retire } from './linker-state.js';
import { listening } from './listen-errors.js';
import type { LoadedConfig } from './load.js';
import { buildRouterUnit, closeRouterUnit, listenRouterUnit, type RouterUnit } from './router-unit.js';
import { runClosers } from './run-closers.js';
import { validateLinker } from './validate-linker.js';

export type { ReloadResult } from './linker-reload.js';

/** Options of {@link Linker.start}. */
export interface LinkerOptions {
  readonly kinds: DefaultKinds;
  /** Directory relative paths in the config resolve against; default the config file's directory. */
  readonly baseDir: string;
  readonly stats?: MetricsRegistry;
  readonly clock?: Clock;
  /** Called by `POST /admin/shutdown`. */
  readonly onShutdown?: () => void | Promise<void>;
  /** Overrides the admin address (e.g. port 0 in tests). */
  readonly admin?: {
    readonly ip?: string;
    readonly port?: number;
    /** `false`: don't open `admin.probe` (a `--workers` worker: the primary serves it for the pod). */
    readonly probe?: false;
  };
  /** Don't start the admin server. */
  readonly noAdmin?: boolean;
  /**
   * Where Kubernetes informers come from, per API connection (default: `sharedInformers(client)`,
   * watches of this process). A `--workers` worker passes `relayedInformers` here, so the pod's
   * primary watches once for all workers.
   */
  readonly kubeInformers?: (connection: KubeConnectionConfig, client: KubeClient) => SharedInformers;
  /**
   * Where Lease elections run (default: `createLeaderElector`, a candidate of this process; the
   * API server is `options.client.config`). A `--workers` worker passes an elector relayed from
   * the pod's primary, so the pod campaigns once and exactly one worker is told it leads.
   */
  readonly kubeLeaderElector?: (options: LeaderElectorOptions) => LeaderElector;
  /**
   * Wraps each Kubernetes client the plugins get (default: as created). A `--workers` worker
   * sends its one-shot `list` calls (start-up checks of which kinds the API serves) to the pod's
   * primary, which asks once for all workers.
   */
  readonly kubeClient?: (client: KubeClient) => KubeClient;
  /**
   * Runs once the routers listen and before the admin server (and so `/admin/ready`) starts, e.g.
   * to warm the request path; start waits for it, and a rejection fails the start.
   */
  readonly beforeReady?: (routers: readonly Router[]) => Promise<void>;
  /**
   * Every router server binds with SO_REUSEPORT (`RouterServerOptions.reusePort`, Node >= 22.12):
   * a `--workers` worker under `workers.listen: reusePort` binds its own socket on the shared port.
   */
  readonly reusePort?: boolean;
}

/** The `tls.acme` certificates of one TLS server, see {@link Linker.acmeStatus}. */
export interface AcmeServerStatus {
  readonly router: string;
  /** `ip:port` of the TLS server. */
  readonly server: string;
  readonly certificates: readonly CertificateStatus[];
}

/** The reload history, as `/admin/config.json` shows it. */
export type ConfigStatus = ReturnType<NonNullable<AdminServerOptions['configStatus']>>;

/** A running config: routers, namers, admin. Create with {@link Linker.start}. */
export class Linker {
  readonly #state: LinkerState;
  readonly #closers: (() => void | Promise<void>)[];
  #closed: Promise<void> | undefined;
  /** Reloads run one at a time, in the order asked. */
  #reloading: Promise<unknown> = Promise.resolve();

  private constructor(state: LinkerState, closers: (() => void | Promise<void>)[]) {
    this.#state = state;
    this.#closers = closers;
  }

  /** Builds and starts everything; on failure, whatever was started is closed again. */
  static async start(loaded: LoadedConfig, options: LinkerOptions): Promise<Linker> {
    const closers: (() => void | Promise<void>)[] = [];
    const readiness: Readiness[] = [];
    const stats = options.stats ?? createMetricsRegistry();
    const clock = options.clock ?? systemClock;
    // One client and one informer set per API server and identity, whichever way a kind names it
    // (`host`/`port`, or in-cluster/kubeconfig resolving to the same server and credentials): the
    // namer, identifiers, stores and ACME share connections, discovery and watches.
    const kubeConnections = new Map<string, Promise<KubeConnectionConfig>>();
    const kubeClients = new Map<string, Promise<{ client: KubeClient; informers: SharedInformers }>>();
    const kubeKey = (where: { host?: string; port?: number }) =>
      where.host === undefined ? 'auto' : `${where.host}:${where.port ?? 8001}`;
    const kube = async (where: { host?: string; port?: number }) => {
      const key = kubeKey(where);
      let connection = kubeConnections.get(key);
      if (!connection) {
        connection =
          where.host === undefined
            ? autoConfig({ fallbackUrl: 'http://127.0.0.1:8001' })
            : Promise.resolve(urlConfig(`http://${where.host}:${where.port ?? 8001}`));
        kubeConnections.set(key, connection);
      }
      const resolved = await connection;
      const identity = connectionIdentity(resolved);
      let shared = kubeClients.get(identity);
      if (!shared) {
        const created = createKubeClient(resolved, { clock, stats: stats.scope('k8s') });
        closers.unshift(() => created.close());
        const client = options.kubeClient?.(created) ?? created;
        const informers = options.kubeInformers?.(resolved, client) ?? sharedInformers(client);
        shared = Promise.resolve({ client, informers });
        kubeClients.set(identity, shared);
      }
      return shared;
    };
    const base: BuildContext = {
      baseDir: options.baseDir,
      stats,
      clock,
      kubeInformers: async (where) => (await kube(where)).informers,
      kubeClient: async (where) => (await kube(where)).client,
      leaderElector: options.kubeLeaderElector ?? createLeaderElector,
      ...(options.kubeLeaderElector ? { relayedElections: true } : {}),
      ...(options.reusePort ? { reusePort: true } : {}),
      addReadiness: (r) => readiness.push(r),
      onClose: (close) => closers.push(close),
    };
    const config = loaded.config;
    // The validate phase (`--check` runs the same): nothing starts from a config it rejects.
    const issues = await validateLinker(loaded, {
      kinds: options.kinds,
      baseDir: options.baseDir,
      ...(options.admin ? { admin: options.admin } : {}),
      ...(options.noAdmin ? { noAdmin: true } : {}),
      ...(options.reusePort ? { reusePort: true } : {}),
    });
    if (issues.length > 0) throw new ConfigError('SY_ERR_CONFIG_INVALID', issues);
    const routers: BuiltRouter[] = [];
    const parts = new Map<BuiltRouter, RouterParts>();
    const partial = { base, readiness, options };
    let state: LinkerState | undefined;
    // The replaceable parts are read at close time: after a reload it is the replacement that
    // closes. Routers drain first (grace read at close time: a reload may change it).
    closers.push(async () => {
      if (state === undefined) return;
      const running = state;
      const graceMs = running.loaded.config.admin.shutdownGraceMs;
      await Promise.allSettled(
        running.routers.map((r) => closeRouterUnit(running, r, running.parts.get(r)!, graceMs)),
      );
      await Promise.allSettled([
        retire(running.namers.part, readiness),
        retire(running.telemetry.part, readiness),
      ]);
    });
    try {
      const namers = await buildNamers(partial, config);
      const telemetry = await buildTelemetry(partial, config);
      state = {
        loaded,
        namers,
        telemetry,
        routers,
        parts,
        admin: undefined,
        readiness,
        base,
        stats,
        clock,
        options,
        version: 1,
        lastError: undefined,
      };
      const running = state;
      const units: RouterUnit[] = [];
      for (const rc of config.routers) {
        const unit = await buildRouterUnit(running, rc, { namers, telemetry });
        routers.push(unit.built);
        parts.set(unit.built, unit.parts);
        units.push(unit);
      }
      for (const [index, unit] of units.entries()) await listenRouterUnit(running, unit, loaded, index);
      await options.beforeReady?.(routers.map((r) => r.router));
      if (!options.noAdmin) {
        const admin = createLinkerAdmin(running, config, telemetry.prometheusPrefix);
        running.admin = admin;
        // A bind failure names the listener's field (the probe's port, or the admin's).
        const probe = config.admin.probe;
        const adminPort = adminPlacement(running, config).port;
        await listening(admin.listen(), loaded, (error) =>
          probe !== undefined && error.port === probe.port && error.port !== adminPort
            ? ['admin', 'probe', 'port']
            : ['admin', 'port'],
        );
        // The admin in use at close time (a reload may have replaced it).
        closers.push(() => running.admin?.close());
      }
      return new Linker(running, closers);
    } catch (error) {
      await runClosers(closers);
      throw error;
    }
  }

  /** The running routers. */
  get routers(): readonly Router[] {
    return this.#state.routers.map((r) => r.router);
  }

  /**
   * One entry per TLS server with `tls.acme`: the router label, the server as `ip:port`, and its
   * manager's rows (`AcmeManager.status()`: name, issuer, notAfter, lastAttemptAt, lastError, state).
   */
  acmeStatus(): readonly AcmeServerStatus[] {
    return this.#state.routers.flatMap((r) =>
      r.acme.map(({ server, manager }) => ({
        router: r.router.label,
        server: `${server.ip}:${server.port}`,
        certificates: manager.status(),
      })),
    );
  }

  /** The admin server, unless started with `noAdmin` (a reload that moves it replaces it). */
  get admin(): AdminServer | undefined {
    return this.#state.admin;
  }

  /** Where the admin's probe listener (`admin.probe`) listens, when configured. */
  get probeAddress(): AddressInfo | undefined {
    return this.#state.admin?.probeAddress;
  }

  /** Metrics of everything this linker runs. */
  get stats(): MetricsRegistry {
    return this.#state.stats;
  }

  /** The config currently applied. */
  get config(): LinkerConfig {
    return this.#state.loaded.config;
  }

  /** The config's version (1 at start, +1 per applied reload) and the last failed reload. */
  get configStatus(): ConfigStatus {
    const { version, lastError, loaded } = this.#state;
    return { version, ...(lastError === undefined ? {} : { lastError }), config: loaded.raw };
  }

  /** True when every router listens and every source (watches, certificates) has synced. */
  get ready(): boolean {
    return this.#state.readiness.every((r) => r.ready());
  }

  /**
   * Each source `/admin/ready` waits for and whether it is ready now (a check that throws is not
   * ready), so that a `--workers` primary can answer readiness for the pod.
   */
  readiness(): readonly { readonly name: string; readonly ready: boolean }[] {
    return this.#state.readiness.map((r) => {
      let ready = false;
      try {
        ready = r.ready() === true;
      } catch {
        // Not ready, as the admin reads it.
      }
      return { name: r.name, ready };
    });
  }

  /** The requests `io.l5d.recentRequests` kept, newest first (`/admin/requests.json`); empty without it. */
  recentRequests(): readonly RecentRequest[] {
    return this.#state.telemetry.recent?.list() ?? [];
  }

  /**
   * Applies a new config to the running linker, every section, all or nothing, without failing
   * a request in flight (see linker-reload.ts and docs/configuration.md "Reload"): dtabs,
   * identifiers and overrides; servers (added ones listen, removed ones drain like shutdown,
   * changed ones change in place or are drained and replaced); namers; telemetry; the admin;
   * `limits`; access logs; `dtabStore`; client/service policies; routers added (built whole) and
   * removed (drained like shutdown). Changes it cannot apply (`workers`, a port moving between
   * routers) are refused with `SY_ERR_CONFIG_RELOAD` naming each field at its
   * file:line:col; a config the validate phase rejects with `SY_ERR_CONFIG_INVALID`; in both
   * cases, and when building a part fails, nothing changes and the old config keeps serving.
   * Each outcome counts in `config/reloads/{applied,unchanged,failed}`; a failure is kept as
   * `configStatus.lastError`. Reloads run one at a time.
   */
  reload(next: LoadedConfig): Promise<ReloadResult> {
    const run = this.#reloading.then(() => this.#reload(next));
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  async #reload(next: LoadedConfig): Promise<ReloadResult> {
    const state = this.#state;
    const counters = state.stats.scope('config', 'reloads');
    try {
      const result = await reloadLinker(state, next);
      if (result.kind === 'applied') state.version++;
      counters.counter(result.kind).incr();
      return result;
    } catch (error) {
      counters.counter('failed').incr();
      const first = error instanceof ConfigError ? error.issues[0] : undefined;
      state.lastError = {
        message: error instanceof Error ? error.message : String(error),
        ...(first ? { file: `${first.file}:${first.line}:${first.column}` } : {}),
        at: new Date(state.clock.now()).toISOString(),
      };
      throw error;
    }
  }

  /** Stops accepting, drains in-flight requests (up to `admin.shutdownGraceMs`), stops watches. */
  close(): Promise<void> {
    this.#closed ??= runClosers(this.#closers);
    return this.#closed;
  }

  /** The loaded config this linker runs (the last one applied). */
  get loaded(): LoadedConfig {
    return this.#state.loaded;
  }
}

/**
 * What makes two connections the same client: the server and everything that changes who is
 * talking to it or how (TLS, credentials, proxy, impersonation), not where it was configured.
 */
function connectionIdentity(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}
