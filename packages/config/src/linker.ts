/**
 * The linker: builds everything a validated config describes — namers, the interpreter, routers
 * (see build-router.ts) and the admin server — and owns their lifecycle. `reload` applies a new
 * config's dtab and identifier changes to running routers without dropping a connection;
 * anything it cannot apply live is rejected and the running config keeps serving.
 */
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CertificateStatus } from '@switchyard/acme';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '@switchyard/admin';
import {
  type Clock,
  createInterpreter,
  createMetricsRegistry,
  type Identifier,
  type MetricsRegistry,
  type RequestHead,
  systemClock,
} from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import {
  autoConfig,
  createKubeClient,
  type KubeClient,
  type KubeConnectionConfig,
  type SharedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import type { Router } from '@switchyard/router';
import { acmeViews, adminView, certificateViews } from './admin-views.js';
import type { BuildContext, Readiness } from './build-context.js';
import {
  type BuiltRouter,
  buildIdentifiers,
  buildRouter,
  type IdentifierSet,
  overrideOptions,
  runClosers,
} from './build-router.js';
import type { DefaultKinds } from './default-kinds.js';
import { overriddenIdentifier } from './dtab-overrides.js';
import { type AttachedDtabStore, attachDtabStore } from './dtab-store.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import type { LinkerConfig } from './linker-schema.js';
import type { LoadedConfig } from './load.js';
import { MINT_PATH, mintRoute } from './override-mint.js';
import type { FieldPath } from './source.js';
import { identifierIssues, overrideIssues, validateLinker } from './validate-linker.js';

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
  readonly admin?: { readonly ip?: string; readonly port?: number };
  /** Don't start the admin server. */
  readonly noAdmin?: boolean;
  /**
   * Where Kubernetes informers come from, per API connection (default: `sharedInformers(client)`,
   * watches of this process). A `--workers` worker passes `relayedInformers` here, so the pod's
   * primary watches once for all workers.
   */
  readonly kubeInformers?: (connection: KubeConnectionConfig, client: KubeClient) => SharedInformers;
}

/** The `tls.acme` certificates of one TLS server, see {@link Linker.acmeStatus}. */
export interface AcmeServerStatus {
  readonly router: string;
  /** `ip:port` of the TLS server. */
  readonly server: string;
  readonly certificates: readonly CertificateStatus[];
}

/** What `reload` did. */
export type ReloadResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly changes: readonly string[] };

/** A running config: routers, namers, admin. Create with {@link Linker.start}. */
export class Linker {
  readonly #loaded: LoadedConfig;
  readonly #routers: readonly BuiltRouter[];
  readonly #admin: AdminServer | undefined;
  readonly #closers: (() => void | Promise<void>)[];
  readonly #readiness: Readiness[];
  readonly #stats: MetricsRegistry;
  readonly #base: BuildContext;
  readonly #kinds: DefaultKinds;
  /** Routers with a `dtabStore`: their dtab is the config's ++ the store's. */
  readonly #stores: ReadonlyMap<BuiltRouter, AttachedDtabStore>;
  #config: LinkerConfig;
  #closed: Promise<void> | undefined;

  private constructor(parts: {
    loaded: LoadedConfig;
    routers: readonly BuiltRouter[];
    admin: AdminServer | undefined;
    closers: (() => void | Promise<void>)[];
    readiness: Readiness[];
    stats: MetricsRegistry;
    base: BuildContext;
    kinds: DefaultKinds;
    stores: ReadonlyMap<BuiltRouter, AttachedDtabStore>;
  }) {
    this.#loaded = parts.loaded;
    this.#config = parts.loaded.config;
    this.#routers = parts.routers;
    this.#admin = parts.admin;
    this.#closers = parts.closers;
    this.#readiness = parts.readiness;
    this.#stats = parts.stats;
    this.#base = parts.base;
    this.#kinds = parts.kinds;
    this.#stores = parts.stores;
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
        const client = createKubeClient(resolved, { clock, stats: stats.scope('k8s') });
        closers.unshift(() => client.close());
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
    });
    if (issues.length > 0) throw new ConfigError('SY_ERR_CONFIG_INVALID', issues);
    try {
      const namers = await Promise.all(config.namers.map((n) => options.kinds.namer.build(n, base)));
      const interpreter = createInterpreter({
        // Linkerd mounts a namer configured with prefix /p at /#/p; the interpreter matches literally.
        namers: namers.map((n) => ({
          prefix: n.prefix[0] === '#' || n.prefix[0] === '$' ? n.prefix : ['#', ...n.prefix],
          namer: n.namer,
        })),
      });
      const telemeters = await Promise.all(
        config.telemetry.map((t) => options.kinds.telemeter.build(t, base)),
      );
      const recent = telemeters.find((t) => t.kind === 'recentRequests')?.recent;
      const routers: BuiltRouter[] = [];
      const stores = new Map<BuiltRouter, AttachedDtabStore>();
      for (const rc of config.routers) {
        const label = rc.label ?? rc.protocol;
        const built = await buildRouter(rc, label, {
          base,
          kinds: options.kinds,
          interpreter,
          telemeters,
          recent,
          stats,
        });
        routers.push(built);
        closers.push(() => built.router.close({ graceMs: config.admin.shutdownGraceMs }));
        // The set is read at close time: after a reload it is the replacement that gets closed.
        closers.push(() => runClosers(built.identifiers.closers));
        if (rc.dtabStore) {
          // built.config is the reloaded config after a reload: base ++ store stays current.
          const attached = await attachDtabStore(rc.dtabStore, label, base, (storeDtab) =>
            built.router.reconfigure({ dtab: Object.freeze([...built.config.dtab, ...storeDtab]) }),
          );
          stores.set(built, attached);
        }
      }
      for (const [index, built] of routers.entries()) {
        await listening(built.router.listen(), loaded, (error) => routerServerIndex(config, index, error));
        readiness.push({ name: `router ${built.router.label}`, ready: () => built.router.ready });
        readiness.push({
          name: `identifiers of ${built.router.label}`,
          ready: () => built.identifiers.readiness.every((r) => r.ready()),
        });
      }
      let admin: AdminServer | undefined;
      if (!options.noAdmin) {
        const prometheus = telemeters.find((t) => t.kind === 'prometheus');
        admin = createAdminServer({
          ip: options.admin?.ip ?? config.admin.ip,
          port: options.admin?.port ?? config.admin.port,
          stats,
          routers: routers.map((r) => adminView(r, interpreter, stores.get(r))),
          readiness,
          certificates: () => routers.flatMap(certificateViews),
          acme: () => routers.flatMap(acmeViews),
          ...(recent ? { recentRequests: () => recent.list() } : {}),
          config: loaded.raw,
          ...adminSecurity(config.admin, options.baseDir),
          controlRoutes: { [MINT_PATH]: mintRoute(routers, { baseDir: options.baseDir, clock }) },
          ...(options.onShutdown ? { onShutdown: options.onShutdown } : {}),
          ...(prometheus ? { prometheusPrefix: prometheus.prefix } : {}),
          clock,
        });
        // A bind failure names the listener's field (the probe's port, or the admin's).
        const probe = config.admin.probe;
        const adminPort = options.admin?.port ?? config.admin.port;
        await listening(admin.listen(), loaded, (error) =>
          probe !== undefined && error.port === probe.port && error.port !== adminPort
            ? ['admin', 'probe', 'port']
            : ['admin', 'port'],
        );
        closers.push(() => admin?.close());
      }
      return new Linker({
        loaded,
        routers,
        admin,
        closers,
        readiness,
        stats,
        base,
        kinds: options.kinds,
        stores,
      });
    } catch (error) {
      await runClosers(closers);
      throw error;
    }
  }

  /** The running routers. */
  get routers(): readonly Router[] {
    return this.#routers.map((r) => r.router);
  }

  /**
   * One entry per TLS server with `tls.acme`: the router label, the server as `ip:port`, and its
   * manager's rows (`AcmeManager.status()`: name, issuer, notAfter, lastAttemptAt, lastError, state).
   */
  acmeStatus(): readonly AcmeServerStatus[] {
    return this.#routers.flatMap((r) =>
      r.acme.map(({ server, manager }) => ({
        router: r.router.label,
        server: `${server.ip}:${server.port}`,
        certificates: manager.status(),
      })),
    );
  }

  /** The admin server, unless started with `noAdmin`. */
  get admin(): AdminServer | undefined {
    return this.#admin;
  }

  /** Where the admin's probe listener (`admin.probe`) listens, when configured. */
  get probeAddress(): AddressInfo | undefined {
    return this.#admin?.probeAddress;
  }

  /** Metrics of everything this linker runs. */
  get stats(): MetricsRegistry {
    return this.#stats;
  }

  /** The config currently applied. */
  get config(): LinkerConfig {
    return this.#config;
  }

  /** True when every router listens and every source (watches, certificates) has synced. */
  get ready(): boolean {
    return this.#readiness.every((r) => r.ready());
  }

  /**
   * Applies a new config to the running routers without dropping a connection: dtab changes are
   * swapped in (a router's `dtabStore` dentries stay appended after the new dtab); identifier changes build the new identifiers first (an Ingress source syncs) and
   * then swap them in, closing the old ones; `dtabOverrides` / `signedDtabOverrides` changes
   * (and the signing-key files, re-read on every reload) re-wrap the running identifiers. Anything else (servers, namers, client and service
   * policies, telemetry, admin) needs a restart: such a config is rejected with
   * `SY_ERR_CONFIG_RELOAD` and the running config keeps serving, as it does when building the
   * new identifiers fails. TLS servers keep the Ingress certificate sources they started with;
   * their `tls.acme` managers follow the new identifiers' names (names no longer served are
   * retired: not renewed, served until they expire).
   */
  async reload(next: LoadedConfig): Promise<ReloadResult> {
    const current = this.#config;
    // Everything but what reload can apply (dtabs and identifiers) must be unchanged.
    const fixed = (c: LinkerConfig) => ({
      ...c,
      routers: c.routers.map((r) => ({
        ...r,
        dtab: [],
        identifier: undefined,
        dtabOverrides: undefined,
        signedDtabOverrides: undefined,
      })),
    });
    const before = fixed(current);
    const after = fixed(next.config);
    if (!isDeepStrictEqual(before, after)) {
      const changed = (Object.keys(before) as (keyof LinkerConfig)[]).filter(
        (key) => !isDeepStrictEqual(before[key], after[key]),
      );
      throw new ConfigError('SY_ERR_CONFIG_RELOAD', [
        {
          file: next.file,
          line: 1,
          column: 1,
          path: changed.join(', '),
          message: 'only dtab, identifier and dtab override changes apply without a restart',
          hint: 'restart switchyard-ingress to apply the other changes; the running config keeps serving',
        },
      ]);
    }
    // Check, then build, every new identifier set before touching anything: a failure changes nothing.
    const changed = next.config.routers
      .map((rc, index) => ({ rc, index }))
      .filter(({ rc, index }) => !isDeepStrictEqual(rc.identifier, this.#routers[index]!.config.identifier));
    const issues: ConfigIssue[] = (
      await Promise.all(
        changed.map(({ index }) =>
          identifierIssues(next, index, { kinds: this.#kinds, baseDir: this.#base.baseDir }),
        ),
      )
    ).flat();
    // Overrides are re-read whenever they are present: a rotated key file applies on reload too.
    const overridden = next.config.routers
      .map((rc, index) => ({ rc, index }))
      .filter(
        ({ rc, index }) =>
          !isDeepStrictEqual(rc.dtabOverrides, this.#routers[index]!.config.dtabOverrides) ||
          rc.signedDtabOverrides !== undefined ||
          this.#routers[index]!.config.signedDtabOverrides !== undefined,
      );
    issues.push(
      ...(
        await Promise.all(
          overridden.map(({ index }) => overrideIssues(next, index, { baseDir: this.#base.baseDir })),
        )
      ).flat(),
    );
    if (issues.length > 0) throw new ConfigError('SY_ERR_CONFIG_INVALID', issues);
    const replacements = new Map<number, IdentifierSet>();
    try {
      for (const { rc, index } of changed) {
        const built = this.#routers[index]!;
        const context: BuildContext = {
          ...this.#base,
          router: { label: built.router.label, dstPrefix: rc.dstPrefix },
        };
        replacements.set(index, await buildIdentifiers(rc, context, this.#kinds));
      }
    } catch (error) {
      await Promise.all([...replacements.values()].map((set) => runClosers(set.closers)));
      throw error;
    }
    const rewrapped = new Set(overridden.map(({ index }) => index));
    const identifiersOf = new Map<number, Identifier<RequestHead>>();
    try {
      for (const index of new Set([...replacements.keys(), ...rewrapped])) {
        const built = this.#routers[index]!;
        const set = replacements.get(index) ?? built.identifiers;
        identifiersOf.set(
          index,
          await overriddenIdentifier(
            set.identifier,
            next.config.routers[index]!,
            overrideOptions(built.router.label, this.#base),
          ),
        );
      }
    } catch (error) {
      await Promise.all([...replacements.values()].map((set) => runClosers(set.closers)));
      throw error;
    }
    const changes: string[] = [];
    const retired: IdentifierSet[] = [];
    next.config.routers.forEach((rc, index) => {
      const built = this.#routers[index]!;
      const identifiers = replacements.get(index);
      const identifier = identifiersOf.get(index);
      const stored = this.#stores.get(built)?.dtab() ?? Dtab.empty;
      const dtab = stored.length === 0 ? rc.dtab : Object.freeze([...rc.dtab, ...stored]);
      const dtabChanged = Dtab.show(dtab) !== Dtab.show(built.router.dtab);
      built.router.reconfigure({
        ...(dtabChanged ? { dtab } : {}),
        ...(identifier ? { identifier } : {}),
      });
      if (dtabChanged) changes.push(`routers[${index}].dtab`);
      if (!isDeepStrictEqual(rc.dtabOverrides, built.config.dtabOverrides)) {
        changes.push(`routers[${index}].dtabOverrides`);
      }
      if (!isDeepStrictEqual(rc.signedDtabOverrides, built.config.signedDtabOverrides)) {
        changes.push(`routers[${index}].signedDtabOverrides`);
      }
      if (identifiers) {
        retired.push(built.identifiers);
        built.identifiers = identifiers;
        built.attachIdentifiers(identifiers);
        changes.push(`routers[${index}].identifier`);
      }
      built.config = rc;
    });
    this.#config = next.config;
    await Promise.all(retired.map((set) => runClosers(set.closers)));
    return changes.length === 0 ? { kind: 'unchanged' } : { kind: 'applied', changes };
  }

  /** Stops accepting, drains in-flight requests (up to `admin.shutdownGraceMs`), stops watches. */
  close(): Promise<void> {
    this.#closed ??= runClosers(this.#closers);
    return this.#closed;
  }

  /** The loaded config this linker started from. */
  get loaded(): LoadedConfig {
    return this.#loaded;
  }
}

/**
 * Waits for a listener to bind; a bind failure (port in use, no permission for a port below
 * 1024) becomes `SY_ERR_CONFIG_START` naming the config field that chose the address.
 */
async function listening<T>(
  bound: Promise<T>,
  loaded: LoadedConfig,
  fieldOf: (error: NodeJS.ErrnoException & { address?: string; port?: number }) => FieldPath,
): Promise<T> {
  try {
    return await bound;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    if (typeof e.code !== 'string' || e.syscall !== 'listen') throw error;
    const where = e.address !== undefined ? ` ${e.address}:${e.port}` : '';
    const hint =
      e.code === 'EACCES'
        ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; listen on an unprivileged port (e.g. 8080) and map the public port to it'
        : e.code === 'EADDRINUSE'
          ? 'another process (or another listener of this config) already listens there'
          : undefined;
    throw new ConfigError(
      'SY_ERR_CONFIG_START',
      [
        loaded.source.issue(
          fieldOf(e),
          `cannot listen on${where} (${e.code})`,
          hint === undefined ? {} : { hint },
        ),
      ],
      { cause: error },
    );
  }
}

/** The `port` field of the server of `routers[index]` a listen error is about. */
function routerServerIndex(
  config: LoadedConfig['config'],
  index: number,
  error: { address?: string; port?: number },
): FieldPath {
  const servers = config.routers[index]!.servers;
  const found = servers.findIndex(
    (s) => s.port === error.port && (error.address === undefined || s.ip === error.address),
  );
  const byPort = found >= 0 ? found : servers.findIndex((s) => s.port === error.port);
  return ['routers', index, 'servers', Math.max(0, byPort), 'port'];
}

/** The admin's probe listener and control security, as `createAdminServer` takes them. */
function adminSecurity(
  admin: LinkerConfig['admin'],
  baseDir: string,
): Pick<AdminServerOptions, 'probe' | 'control'> {
  const security = admin.security;
  return {
    ...(admin.probe ? { probe: admin.probe } : {}),
    ...(security?.controlEnabled
      ? {
          control: {
            enabled: true,
            ...(security.controlToken !== undefined ? { token: security.controlToken } : {}),
            ...(security.controlTokenPath !== undefined
              ? { tokenPath: resolve(baseDir, security.controlTokenPath) }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * What makes two connections the same client: the server and everything that changes who is
 * talking to it or how (TLS, credentials, proxy, impersonation), not where it was configured.
 */
function connectionIdentity(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}
