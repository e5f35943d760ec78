/**
 * The linker: builds everything a validated config describes — namers, the interpreter, routers
 * with their identifiers, balancers, TLS servers and telemetry, and the admin server — and owns
 * their lifecycle. `reload` applies a new config's dtabs to running routers without dropping a
 * connection; anything it cannot apply live is rejected and the running config keeps serving.
 */
import https from 'node:https';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  type AdminRouterView,
  type AdminServer,
  attemptTracingLayer,
  type CertificateView,
  createAdminServer,
  type RecentRequests,
  requestLogLayer,
  tracingLayer,
} from '@switchyard/admin';
import {
  consecutiveFailures,
  requeueBudget,
  retryBackoff,
  retryBudget,
  withFailureAccrual,
} from '@switchyard/balancers';
import {
  Activity,
  type Clock,
  createInterpreter,
  createMetricsRegistry,
  firstIdentified,
  type Identifier,
  type MetricsRegistry,
  type NameInterpreter,
  type RequestHead,
  systemClock,
} from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { createHeaderTokenIdentifier } from '@switchyard/identifiers/http';
import {
  autoConfig,
  createKubeClient,
  type KubeClient,
  type SharedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import {
  createRouter,
  type Router,
  type RouterContext,
  type RouterLayer,
  type RouterServerOptions,
} from '@switchyard/router';
import { type CertificateSource, clientTlsOptions, TlsTerminator } from '@switchyard/tls';
import type { BuildContext, Readiness } from './build-context.js';
import type { DefaultKinds } from './default-kinds.js';
import { ConfigError } from './errors.js';
import type { BuiltIdentifier } from './kinds/identifiers.js';
import type { LinkerConfig, RouterConfig, ServerConfig } from './linker-schema.js';
import type { LoadedConfig } from './load.js';
import { openAccessLog } from './telemetry.js';

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
}

/** A router's identifiers with what they registered, so a reload can replace them as a unit. */
interface IdentifierSet {
  readonly built: readonly BuiltIdentifier[];
  readonly identifier: Identifier<RequestHead>;
  readonly closers: (() => void | Promise<void>)[];
  readonly readiness: Readiness[];
}

interface BuiltRouter {
  config: RouterConfig;
  readonly router: Router;
  identifiers: IdentifierSet;
  readonly terminators: readonly { readonly server: ServerConfig; readonly terminator: TlsTerminator }[];
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
  }

  /** Builds and starts everything; on failure, whatever was started is closed again. */
  static async start(loaded: LoadedConfig, options: LinkerOptions): Promise<Linker> {
    const closers: (() => void | Promise<void>)[] = [];
    const readiness: Readiness[] = [];
    const stats = options.stats ?? createMetricsRegistry();
    const clock = options.clock ?? systemClock;
    const kubeClients = new Map<string, Promise<KubeClient>>();
    const kubeInformers = new Map<string, Promise<SharedInformers>>();
    const kubeKey = (where: { host?: string; port?: number }) =>
      where.host === undefined ? 'auto' : `${where.host}:${where.port ?? 8001}`;
    const base: BuildContext = {
      baseDir: options.baseDir,
      stats,
      clock,
      kubeInformers: (where) => {
        const key = kubeKey(where);
        let informers = kubeInformers.get(key);
        if (!informers) {
          informers = base.kubeClient(where).then((client) => sharedInformers(client));
          kubeInformers.set(key, informers);
        }
        return informers;
      },
      kubeClient: (where) => {
        const key = kubeKey(where);
        let client = kubeClients.get(key);
        if (!client) {
          client = (async () => {
            const connection =
              where.host === undefined
                ? await autoConfig({ fallbackUrl: 'http://127.0.0.1:8001' })
                : urlConfig(`http://${where.host}:${where.port ?? 8001}`);
            const created = createKubeClient(connection, { clock, stats: stats.scope('k8s') });
            closers.unshift(() => created.close());
            return created;
          })();
          kubeClients.set(key, client);
        }
        return client;
      },
      addReadiness: (r) => readiness.push(r),
      onClose: (close) => closers.push(close),
    };
    const config = loaded.config;
    try {
      const namers = await Promise.all(config.namers.map((n) => options.kinds.namer.build(n, base)));
      const interpreter = createInterpreter({
        namers: namers.map((n) => ({ prefix: n.prefix, namer: n.namer })),
      });
      const telemeters = await Promise.all(
        config.telemetry.map((t) => options.kinds.telemeter.build(t, base)),
      );
      const recent = telemeters.find((t) => t.kind === 'recentRequests')?.recent;
      const labels = new Set<string>();
      const routers: BuiltRouter[] = [];
      for (const [index, rc] of config.routers.entries()) {
        const label = rc.label ?? rc.protocol;
        if (labels.has(label)) {
          throw new ConfigError('SY_ERR_CONFIG_INVALID', [
            {
              file: loaded.file,
              line: 1,
              column: 1,
              path: `routers[${index}].label`,
              message: `router label "${label}" is used twice`,
              hint: 'give each router a unique label',
            },
          ]);
        }
        labels.add(label);
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
      }
      for (const built of routers) {
        await built.router.listen();
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
          routers: routers.map((r) => adminView(r, interpreter)),
          readiness,
          certificates: () => routers.flatMap(certificateViews),
          ...(recent ? { recentRequests: () => recent.list() } : {}),
          config: loaded.raw,
          controlEnabled: config.admin.security?.controlEnabled ?? true,
          ...(options.onShutdown ? { onShutdown: options.onShutdown } : {}),
          ...(prometheus ? { prometheusPrefix: prometheus.prefix } : {}),
          clock,
        });
        await admin.listen();
        closers.push(() => admin?.close());
      }
      return new Linker({ loaded, routers, admin, closers, readiness, stats, base, kinds: options.kinds });
    } catch (error) {
      await runClosers(closers);
      throw error;
    }
  }

  /** The running routers. */
  get routers(): readonly Router[] {
    return this.#routers.map((r) => r.router);
  }

  /** The admin server, unless started with `noAdmin`. */
  get admin(): AdminServer | undefined {
    return this.#admin;
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
   * swapped in; identifier changes build the new identifiers first (an Ingress source syncs) and
   * then swap them in, closing the old ones. Anything else (servers, namers, client and service
   * policies, telemetry, admin) needs a restart: such a config is rejected with
   * `SY_ERR_CONFIG_RELOAD` and the running config keeps serving, as it does when building the
   * new identifiers fails. TLS servers keep the Ingress certificate sources they started with.
   */
  async reload(next: LoadedConfig): Promise<ReloadResult> {
    const current = this.#config;
    const fixed = (c: LinkerConfig) => ({
      ...c,
      routers: c.routers.map((r) => ({ ...r, dtab: [], identifier: undefined })),
    });
    if (!isDeepStrictEqual(fixed(current), fixed(next.config))) {
      const changed = Object.keys(current).filter(
        (key) =>
          !isDeepStrictEqual(
            fixed(current)[key as keyof LinkerConfig],
            fixed(next.config)[key as keyof LinkerConfig],
          ),
      );
      throw new ConfigError('SY_ERR_CONFIG_RELOAD', [
        {
          file: next.file,
          line: 1,
          column: 1,
          path: changed.join(', '),
          message: 'only dtab and identifier changes apply without a restart',
          hint: 'restart switchyard-ingress to apply the other changes; the running config keeps serving',
        },
      ]);
    }
    // Build every new identifier set before touching anything, so a failure changes nothing.
    const replacements = new Map<number, IdentifierSet>();
    try {
      for (const [index, rc] of next.config.routers.entries()) {
        const built = this.#routers[index]!;
        if (isDeepStrictEqual(rc.identifier, built.config.identifier)) continue;
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
    const changes: string[] = [];
    const retired: IdentifierSet[] = [];
    next.config.routers.forEach((rc, index) => {
      const built = this.#routers[index]!;
      const identifiers = replacements.get(index);
      const dtabChanged = Dtab.show(rc.dtab) !== Dtab.show(built.router.dtab);
      built.router.reconfigure({
        ...(dtabChanged ? { dtab: rc.dtab } : {}),
        ...(identifiers ? { identifier: identifiers.identifier } : {}),
      });
      if (dtabChanged) changes.push(`routers[${index}].dtab`);
      if (identifiers) {
        retired.push(built.identifiers);
        built.identifiers = identifiers;
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

async function runClosers(closers: (() => void | Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled([...closers].reverse().map((close) => close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

interface RouterDeps {
  readonly base: BuildContext;
  readonly kinds: DefaultKinds;
  readonly interpreter: NameInterpreter;
  readonly telemeters: readonly Awaited<ReturnType<DefaultKinds['telemeter']['build']>>[];
  readonly recent: RecentRequests | undefined;
  readonly stats: MetricsRegistry;
}

async function buildRouter(rc: RouterConfig, label: string, deps: RouterDeps): Promise<BuiltRouter> {
  const { kinds } = deps;
  const context: BuildContext = { ...deps.base, router: { label, dstPrefix: rc.dstPrefix } };
  const identifierSet = await buildIdentifiers(rc, context, kinds);
  const identifiers = identifierSet.built;

  const client = rc.client;
  const lb = client?.loadBalancer ? await kinds.loadBalancer.build(client.loadBalancer, context) : undefined;
  const accrual = client?.failureAccrual
    ? await kinds.failureAccrual.build(client.failureAccrual, context)
    : undefined;
  const balancer =
    lb || accrual
      ? withFailureAccrual(
          lb?.factory ??
            (await kinds.loadBalancer.build({ kind: 'p2c', options: { maxEffort: 5 } }, context)).factory,
          accrual?.policy ?? consecutiveFailures({ failures: 5 }),
          { clock: context.clock, ...(accrual?.backoff ? { backoff: accrual.backoff } : {}) },
        )
      : undefined;
  const service = rc.service;
  const classifier = service?.responseClassifier
    ? await kinds.responseClassifier.build(service.responseClassifier, context)
    : undefined;
  const budget = service?.retries?.budget;
  const retryDelays = service?.retries?.backoff
    ? await kinds.backoff.build(service.retries.backoff, context)
    : undefined;
  const requeue = client?.requeueBudget;

  const terminators: { server: ServerConfig; terminator: TlsTerminator }[] = [];
  const servers: RouterServerOptions[] = [];
  for (const sc of rc.servers) {
    const extraCertificates = identifiers.flatMap((i) => (i.certificates ? [i.certificates] : []));
    const terminator = sc.tls?.enabled
      ? await startTerminator(sc, label, context, extraCertificates)
      : undefined;
    if (terminator) terminators.push({ server: sc, terminator });
    servers.push({
      port: sc.port,
      ip: sc.ip,
      clearContext: sc.clearContext,
      maxHeadersKB: rc.maxHeadersKB,
      ...(sc.maxConcurrentRequests ? { maxConcurrentRequests: sc.maxConcurrentRequests } : {}),
      ...(sc.timeoutMs ? { requestTimeoutMs: sc.timeoutMs } : {}),
      ...(rc.maxRequestKB ? { maxRequestBodyBytes: rc.maxRequestKB * 1024 } : {}),
      ...(sc.addForwardedHeader ? { forwarded: { xForwarded: true, rfc7239: true } } : {}),
      ...(terminator
        ? {
            createServer: (options) => {
              const server = https.createServer({ ...options, ...terminator.serverOptions() });
              terminator.attach(server);
              return server;
            },
          }
        : {}),
    });
  }

  const telemetryLayers: RouterLayer[] = [];
  const attemptLayers: RouterLayer[] = [];
  for (const t of deps.telemeters) {
    if (t.kind !== 'tracer') continue;
    telemetryLayers.push(tracingLayer<RouterContext>(t.tracer));
    attemptLayers.push(attemptTracingLayer<RouterContext>(t.tracer));
  }
  const accessLog = rc.httpAccessLog ? openAccessLog(rc.httpAccessLog, context) : undefined;
  if (deps.recent || accessLog) {
    telemetryLayers.push(
      requestLogLayer<RouterContext>({
        ...(deps.recent ? { recent: deps.recent } : {}),
        ...(accessLog ? { accessLog } : {}),
        clock: context.clock,
      }),
    );
  }

  const router = createRouter({
    label,
    servers,
    identifier: identifierSet.identifier,
    interpreter: deps.interpreter,
    dtab: rc.dtab,
    ...(balancer ? { balancer } : {}),
    client: {
      ...(client?.requestAttemptTimeoutMs ? { requestAttemptTimeoutMs: client.requestAttemptTimeoutMs } : {}),
      ...(client?.hostConnectionPool?.maxSize ? { maxConnections: client.hostConnectionPool.maxSize } : {}),
      ...(client?.hostConnectionPool?.idleTimeMs
        ? { keepAliveTimeoutMs: client.hostConnectionPool.idleTimeMs }
        : {}),
      ...(requeue ? { requeueBudget: () => requeueBudget({ ...requeue, clock: context.clock }) } : {}),
      ...(client?.tls ? { tls: upstreamTls(client.tls, context) } : {}),
    },
    service: {
      ...(service?.totalTimeoutMs ? { totalTimeoutMs: service.totalTimeoutMs } : {}),
      ...(classifier ? { responseClassifier: classifier } : {}),
      ...(budget ? { retryBudget: () => retryBudget({ ...budget, clock: context.clock }) } : {}),
      ...(retryDelays ? { retryBackoff: () => retryBackoff(retryDelays, Math.random) } : {}),
    },
    bindingTimeoutMs: rc.bindingTimeoutMs,
    ...(rc.bindingCache ? { bindingCache: rc.bindingCache } : {}),
    // Request telemetry outermost (it sees every final status); attempt spans innermost, around dispatch.
    ...(telemetryLayers.length > 0
      ? { layers: (defaults) => [...telemetryLayers, ...defaults, ...attemptLayers] }
      : {}),
    stats: deps.stats,
    clock: context.clock,
  });
  return { config: rc, router, identifiers: identifierSet, terminators };
}

/** Builds a router's identifiers; their cleanup and readiness stay with the set. */
async function buildIdentifiers(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<IdentifierSet> {
  const closers: (() => void | Promise<void>)[] = [];
  const readiness: Readiness[] = [];
  const scoped: BuildContext = {
    ...context,
    onClose: (c) => closers.push(c),
    addReadiness: (r) => readiness.push(r),
  };
  try {
    const built: BuiltIdentifier[] = rc.identifier
      ? await Promise.all(rc.identifier.map((i) => kinds.identifier.build(i, scoped)))
      : [
          {
            kind: 'io.l5d.header.token',
            identifier: createHeaderTokenIdentifier({ dstPrefix: rc.dstPrefix }),
          },
        ];
    return { built, identifier: firstIdentified(built.map((i) => i.identifier)), closers, readiness };
  } catch (error) {
    await runClosers(closers);
    throw error;
  }
}

/** `client.tls` as `tls.connect` options; certificate files are read (and checked) now. */
function upstreamTls(tls: NonNullable<NonNullable<RouterConfig['client']>['tls']>, context: BuildContext) {
  const at = (p: string) => resolve(context.baseDir, p);
  return clientTlsOptions({
    ...(tls.commonName ? { commonName: tls.commonName } : {}),
    ...(tls.trustCertsBundle ? { trustCertsBundle: at(tls.trustCertsBundle) } : {}),
    disableValidation: tls.disableValidation,
    ...(tls.clientAuth
      ? { clientAuth: { certPath: at(tls.clientAuth.certPath), keyPath: at(tls.clientAuth.keyPath) } }
      : {}),
  });
}

async function startTerminator(
  sc: ServerConfig,
  label: string,
  context: BuildContext,
  certificates: readonly CertificateSource[],
): Promise<TlsTerminator> {
  const tls = sc.tls!;
  const resolvePath = (p: string) => resolve(context.baseDir, p);
  const terminator = new TlsTerminator({
    certPath: resolvePath(tls.certPath),
    keyPath: resolvePath(tls.keyPath),
    ...(tls.intermediateCertsPath ? { intermediateCertsPath: resolvePath(tls.intermediateCertsPath) } : {}),
    ...(tls.caCertPath ? { caCertPath: resolvePath(tls.caCertPath) } : {}),
    requireClientAuth: tls.requireClientAuth,
    ...(certificates.length > 0 ? { certificates } : {}),
    ...(tls.protocols ? { protocols: tls.protocols as ('TLSv1.2' | 'TLSv1.3')[] } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    stats: context.stats.scope('rt', label, 'server', sc.ip, String(sc.port)),
    clock: context.clock,
  });
  context.onClose(() => terminator.close());
  context.addReadiness({ name: `tls ${sc.ip}:${sc.port}`, ready: () => terminator.status().ready });
  await terminator.ready();
  return terminator;
}

function adminView(built: BuiltRouter, interpreter: NameInterpreter): AdminRouterView {
  const { router } = built;
  const ingress = () => built.identifiers.built.find((i) => i.rules);
  return {
    label: router.label,
    servers: () =>
      router.servers.map((s, i) => ({
        ip: s.ip,
        port: s.port,
        connections: s.connections,
        tls: built.config.servers[i]?.tls?.enabled === true,
      })),
    dtab: () => router.dtab,
    delegate: (path: Path, local: Dtab) =>
      Activity.toPromise(interpreter.delegate(Dtab.concat(router.dtab, local), path)),
    clients: () =>
      router.clients().map((c) => ({
        id: c.id,
        balancer: built.config.client?.loadBalancer?.kind ?? 'p2c',
        size: c.balancer.size,
        available: c.balancer.available,
        endpoints: c.endpoints.map((e) => ({
          host: e.host,
          port: e.port,
          load: e.pending,
          weight: e.weight,
          state: e.state,
        })),
      })),
    ingressRules: () => {
      const rules = ingress()?.rules?.() ?? [];
      if (rules.length === 0) return rules;
      const clients = new Map(router.clients().map((c) => [c.id, c]));
      return rules.map((rule) => {
        const ids = router.boundClientIds(Path.read(rule.dst));
        if (ids === undefined) return rule; // not bound yet: no request has used this name
        const ready = ids.reduce(
          (n, id) => n + (clients.get(id)?.endpoints.filter((e) => e.state !== 'dead').length ?? 0),
          0,
        );
        return { ...rule, readyEndpoints: ready };
      });
    },
  };
}

function certificateViews(built: BuiltRouter): CertificateView[] {
  return built.terminators.flatMap(({ server, terminator }) =>
    terminator.status().certificates.flatMap((c) =>
      c.kind === 'rejected'
        ? []
        : [
            {
              name: `${built.router.label}/${server.ip}:${server.port}`,
              subject: c.subject,
              sans: c.names,
              notAfter: c.notAfter,
              source: c.id,
            },
          ],
    ),
  );
}
