/**
 * Builds one router from its config: identifiers (as a replaceable set), balancer with failure
 * accrual, service and client policies, TLS terminators (with Ingress Secret certificates), and
 * the telemetry layers.
 */
import { resolve } from 'node:path';
import { type AcmeManager, normalizeHost } from '@switchyard/acme';
import {
  consecutiveFailures,
  requeueBudget,
  retryBackoff,
  retryBudget,
  withFailureAccrual,
} from '@switchyard/balancers';
import type { Identifier, MetricsRegistry, NameInterpreter, RequestHead } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import { createHeaderTokenIdentifier } from '@switchyard/identifiers/http';
import {
  type Bound,
  type ClientLayer,
  type ClientProtocol,
  createRouter,
  type Inbound,
  type Router,
  type RouterClientOptions,
  type RouterLayer,
  type RouterPolicies,
  type RouterServerOptions,
  type RouterServiceOptions,
  type ServerLayer,
} from '@switchyard/router';
import {
  type AccessLogFormat,
  attemptTracingClientLayer,
  type RecentRequests,
  requestLogServerLayer,
  tracingServerLayer,
} from '@switchyard/telemetry';
import {
  type CertificateSource,
  type ClientHelloHooks,
  clientTlsOptions,
  createFrontDoorHttpServer,
  createPlainHttpServer,
  type FrontDoorHttpServer,
  fileCertificateSource,
  TlsTerminator,
} from '@switchyard/tls';
import { http01Layer, startAcme } from './acme.js';
import { hostFeed } from './acme-hosts.js';
import type { BuildContext, Readiness } from './build-context.js';
import type { DefaultKinds } from './default-kinds.js';
import { overriddenIdentifier, overrideTracingLayer } from './dtab-overrides.js';
import { chainIdentifiers } from './identifier-chain.js';
import type { BuiltIdentifier } from './kinds/identifiers.js';
import { limitLayers } from './kinds/limits.js';
import type { RouterConfig, ServerConfig } from './linker-schema.js';
import { staticPolicy, substitute, templateNames } from './static-policies.js';
import { openAccessLog } from './telemetry.js';

/** Where a router's overrides read key files and count (`rt/<label>/dtab_overrides/…`). */
export function overrideOptions(label: string, context: Pick<BuildContext, 'baseDir' | 'stats'>) {
  return { baseDir: context.baseDir, stats: context.stats.scope('rt', label) };
}

/** A router's identifiers with what they registered, so a reload can replace them as a unit. */
export interface IdentifierSet {
  readonly built: readonly BuiltIdentifier[];
  readonly identifier: Identifier<RequestHead>;
  readonly closers: (() => void | Promise<void>)[];
  readonly readiness: Readiness[];
}

/** One server of a router as built: its config, the router's options for it, its TLS terminator. */
export interface BuiltServer {
  readonly config: ServerConfig;
  readonly options: RouterServerOptions;
  readonly terminator: TlsTerminator | undefined;
  /** The TLS server's swappable terminator and the front doors its factory made (TLS servers only). */
  readonly tls?: TerminatorSlot;
  /** The server's `tls.acme` manager (it lives as long as the server's factory). */
  readonly acme?: AcmeServer;
}

/**
 * One TLS server's ACME manager, the feed of names its router's identifiers serve over TLS, and
 * its lifecycle: `start()` (a reload starts the managers it built at its commit) and `stop()`
 * (closes the manager and releases its Lease; idempotent; also registered with the context).
 */
export interface AcmeServer {
  readonly manager: AcmeManager;
  readonly hooks: ClientHelloHooks;
  readonly feed: ReturnType<typeof hostFeed>;
  readonly start: () => void;
  readonly stop: () => Promise<void>;
}

/**
 * Creates the ACME manager of a TLS server with `tls.acme` (started unless `deferStart`), its
 * closers kept apart so that the server's leaving can stop it without closing the router.
 */
export async function buildAcmeServer(
  sc: ServerConfig,
  label: string,
  context: BuildContext,
  deferStart = false,
): Promise<AcmeServer> {
  const closers: (() => void | Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= runClosers(closers);
    return stopped;
  };
  context.onClose(stop);
  try {
    const started = await startAcme(
      sc.tls!.acme!,
      { ...context, onClose: (c) => closers.push(c) },
      {
        stats: context.stats.scope('rt', label, 'server', sc.ip, String(sc.port)),
        leaseName: `switchyard-acme-${label}-${sc.port}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
        deferStart,
      },
    );
    const feed = hostFeed(started.manager, (h) => normalizeHost(h) !== undefined);
    return { manager: started.manager, hooks: started.hooks, feed, start: started.start, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The terminator a TLS server's front doors use, swappable in place: a reload that changes the
 * TLS block gives every door the new one (`FrontDoorHttpServer.setTerminator`); open connections
 * keep going, new handshakes get the new certificates. The server's cleanup and readiness check
 * read the current terminator.
 */
export interface TerminatorSlot {
  terminator: TlsTerminator;
  readonly doors: Set<FrontDoorHttpServer>;
}

/** Swaps `slot`'s terminator on every front door it made and closes the old one. */
export function swapTerminator(slot: TerminatorSlot, terminator: TlsTerminator): void {
  const previous = slot.terminator;
  slot.terminator = terminator;
  for (const door of slot.doors) door.setTerminator(terminator);
  previous.close();
}

/** What a router's layers are built from; a reload rebuilds them when any of it changes. */
export interface LayerInputs {
  readonly telemeters: RouterDeps['telemeters'];
  readonly recent: RecentRequests | undefined;
}

export interface BuiltRouter {
  config: RouterConfig;
  readonly router: Router;
  identifiers: IdentifierSet;
  /** The TLS servers' terminators; a reload that adds or replaces a TLS server changes the list. */
  terminators: readonly { readonly server: ServerConfig; readonly terminator: TlsTerminator }[];
  /** The servers as built, in config order (a reload keeps unchanged ones' factories). */
  servers: readonly BuiltServer[];
  /**
   * The router's layers (telemetry, limits, access log, ACME, identifier layers) for a config and
   * telemetry; `context` receives the access log's closer. `Linker.reload` swaps them in with
   * `router.reconfigure({ layers })`.
   */
  readonly layersFor: (rc: RouterConfig, inputs: LayerInputs, context: BuildContext) => RouterLayers;
  /** The ACME managers of the router's TLS servers (`tls.acme`), for the admin's rows (current servers). */
  readonly acmeManagers: readonly AcmeManager[];
  /**
   * Makes a (new) identifier set feed the names it serves over TLS to the router's `tls.acme`
   * managers (or to `only`: managers a reload added), until the set is closed. `buildRouter`
   * calls it for the first set, `Linker.reload` for each replacement before closing the old set.
   */
  readonly attachIdentifiers: (set: IdentifierSet, only?: readonly AcmeServer[]) => void;
  /** The `tls.acme` managers of the router's TLS servers (current servers: a reload may change them). */
  readonly acme: readonly { readonly server: ServerConfig; readonly manager: AcmeManager }[];
}

/** Runs cleanups in reverse order of registration; rethrows the first failure after all ran. */
export async function runClosers(closers: (() => void | Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled([...closers].reverse().map((close) => close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export interface RouterDeps {
  readonly base: BuildContext;
  readonly kinds: DefaultKinds;
  readonly interpreter: NameInterpreter;
  readonly telemeters: readonly Awaited<ReturnType<DefaultKinds['telemeter']['build']>>[];
  readonly recent: RecentRequests | undefined;
  readonly stats: MetricsRegistry;
  /** Where the layers register their cleanups (the access log); default the router's context. */
  readonly layersContext?: BuildContext;
}

export async function buildRouter(rc: RouterConfig, label: string, deps: RouterDeps): Promise<BuiltRouter> {
  const { kinds } = deps;
  const context: BuildContext = { ...deps.base, router: { label, dstPrefix: rc.dstPrefix } };
  const identifierSet = await buildIdentifiers(rc, context, kinds);
  const identifiers = identifierSet.built;

  const policies = await buildPolicies(rc, context, kinds);

  const terminators: { server: ServerConfig; terminator: TlsTerminator }[] = [];
  const servers: RouterServerOptions[] = [];
  // Names the identifiers serve over TLS (Ingress spec.tls hosts, Gateway HTTPS listener
  // hostnames) get certificates too, from whichever identifier set is current (see attachIdentifiers).
  const builtServers: BuiltServer[] = [];
  for (const sc of rc.servers) {
    const extraCertificates = identifiers.flatMap((i) => (i.certificates ? [i.certificates] : []));
    const acme = sc.tls?.enabled && sc.tls.acme ? await buildAcmeServer(sc, label, context) : undefined;
    const server = await buildServer(sc, rc, label, context, extraCertificates, acme);
    if (server.terminator) terminators.push({ server: sc, terminator: server.terminator });
    builtServers.push(server);
    servers.push(server.options);
  }

  // Reads the identifier set at request time: a config reload swaps `built.identifiers`.
  const identifierLayers: RouterLayer = {
    role: 'identifier-layers',
    description: 'layers of the identifiers (io.l5d.httproute: RequestRedirect, ResponseHeaderModifier)',
    layer: (next) => (ctx) => {
      const own = built.identifiers.built;
      let handler = next;
      for (let i = own.length - 1; i >= 0; i--) {
        const l = own[i]!.layer;
        if (l !== undefined) handler = l.layer(handler);
      }
      return handler(ctx);
    },
  };
  // The current servers' managers, read per challenge (a reload changes the servers).
  const managers = (): AcmeManager[] => built.servers.flatMap((s) => (s.acme ? [s.acme.manager] : []));
  const layersFor = (rc: RouterConfig, inputs: LayerInputs, at: BuildContext): RouterLayers =>
    routerLayers(rc, label, inputs, at, { managers, identifierLayers });
  const router = createRouter({
    label,
    servers,
    identifier: await overriddenIdentifier(identifierSet.identifier, rc, overrideOptions(label, context)),
    interpreter: deps.interpreter,
    dtab: rc.dtab,
    ...policies,
    bindingTimeoutMs: rc.bindingTimeoutMs,
    ...(rc.bindingCache ? { bindingCache: rc.bindingCache } : {}),
    layers: layersFor(rc, deps, deps.layersContext ?? context),
    stats: deps.stats,
    clock: context.clock,
  });
  const attachIdentifiers = (set: IdentifierSet, only?: readonly AcmeServer[]): void => {
    const feeds = set.built.flatMap((i) => (i.tlsHosts ? [i.tlsHosts] : []));
    if (feeds.length === 0) return;
    // Stops with the set: after a reload the retired set's names leave the managers (retired
    // there, served until they expire) unless the new set, followed first, still has them.
    const acme = only ?? built.servers.flatMap((s) => (s.acme ? [s.acme] : []));
    for (const a of acme) set.closers.push(a.feed.follow(feeds));
  };
  const built: BuiltRouter = {
    config: rc,
    router,
    identifiers: identifierSet,
    terminators,
    servers: builtServers,
    layersFor,
    get acmeManagers() {
      return managers();
    },
    attachIdentifiers,
    get acme() {
      return built.servers.flatMap((s) => (s.acme ? [{ server: s.config, manager: s.acme.manager }] : []));
    },
  };
  attachIdentifiers(identifierSet);
  return built;
}

/** A router's `layers` option, as `createRouter` takes it. */
export type RouterLayers = NonNullable<Parameters<typeof createRouter>[0]['layers']>;

/** The layers of one router: ACME HTTP-01, telemetry, limits, the identifiers' own layers. */
function routerLayers(
  rc: RouterConfig,
  label: string,
  inputs: LayerInputs,
  context: BuildContext,
  fixed: { readonly managers: () => readonly AcmeManager[]; readonly identifierLayers: RouterLayer },
): RouterLayers {
  // Typed layers over the router's stage values (no per-request context or header copy).
  const telemetryLayers: ServerLayer[] = [];
  const attemptLayers: ClientLayer[] = [];
  for (const t of inputs.telemeters) {
    if (t.kind !== 'tracer') continue;
    telemetryLayers.push(tracingServerLayer<Inbound>(t.tracer));
    attemptLayers.push(attemptTracingClientLayer<Bound>(t.tracer));
  }
  const accessLog = rc.httpAccessLog ? openAccessLog(rc.httpAccessLog, context) : undefined;
  if (inputs.recent || accessLog) {
    telemetryLayers.push(
      requestLogServerLayer<Inbound>({
        ...(inputs.recent ? { recent: inputs.recent } : {}),
        ...(accessLog ? { accessLog } : {}),
        // The schema admits only the names of ACCESS_LOG_FORMATS.
        accessLogFormat: rc.httpAccessLogFormat as AccessLogFormat,
        clock: context.clock,
      }),
    );
  }
  const limits = rc.limits
    ? limitLayers(rc.limits, context.stats.scope('rt', label), context.clock)
    : undefined;
  const { managers, identifierLayers } = fixed;
  // Request telemetry outermost in the server stack (it sees every final status); the current
  // identifiers' own layers (if any) just before `identify`; attempt spans in the client stack
  // (once per attempt, around dispatch).
  return {
    server: (defaults) => {
      const at = defaults.findIndex((l) => l.role === 'identify');
      return [
        // ACME HTTP-01 answers come before any routing (and are not request telemetry).
        ...(hasAcme(rc) ? [http01Layer(managers)] : []),
        ...telemetryLayers,
        ...defaults.slice(0, at),
        // Rate limits after admission and request-line checks, before identification.
        ...(limits?.server ?? []),
        identifierLayers,
        ...defaults.slice(at),
      ];
    },
    // Destination limits after bind, before retries: a limited request takes no lease. Overridden
    // requests say so in their span (the path stack runs once per request).
    path: [
      ...(limits?.path ?? []),
      ...(telemetryLayers.some((l) => l.role === 'tracing') ? [overrideTracingLayer] : []),
    ],
    client: attemptLayers,
  };
}

/** Whether any TLS server of the router has `tls.acme` (its layers then answer HTTP-01). */
export function hasAcme(rc: RouterConfig): boolean {
  return rc.servers.some((s) => s.tls?.enabled === true && s.tls.acme !== undefined);
}

/** A server's settings as the router takes them, without its `http.Server` factory (TLS, h2). */
export function serverSettings(sc: ServerConfig, rc: RouterConfig): RouterServerOptions {
  return {
    port: sc.port,
    ip: sc.ip,
    clearContext: sc.clearContext,
    maxHeadersKB: rc.maxHeadersKB,
    ...(sc.maxConcurrentRequests ? { maxConcurrentRequests: sc.maxConcurrentRequests } : {}),
    requestTimeoutMs: sc.requestTimeoutMs,
    headersTimeoutMs: sc.headersTimeoutMs,
    keepAliveTimeoutMs: sc.keepAliveTimeoutMs,
    ...(rc.maxRequestKB ? { maxRequestBodyBytes: rc.maxRequestKB * 1024 } : {}),
    ...(sc.addForwardedHeader ? { forwarded: { xForwarded: true, rfc7239: true } } : {}),
  };
}

/**
 * One server's router options: TLS through a front door (with the identifiers' certificates and
 * ACME's, which name their hosts), HTTP/2 by ALPN or h2c. `Linker.reload` builds added and
 * changed servers with it (with a manager it starts at its commit).
 */
export async function buildServer(
  sc: ServerConfig,
  rc: RouterConfig,
  label: string,
  context: BuildContext,
  extraCertificates: readonly CertificateSource[],
  acme?: AcmeServer,
): Promise<BuiltServer> {
  const serverStats = context.stats.scope('rt', label, 'server', sc.ip, String(sc.port));
  const terminator = sc.tls?.enabled
    ? await startTerminator(
        sc,
        label,
        context,
        // ACME certificates name their hosts, so like Ingress ones they win SNI over the default.
        acme ? [...extraCertificates, acme.manager.certificateSource] : extraCertificates,
      )
    : undefined;
  const slot: TerminatorSlot | undefined = terminator ? { terminator, doors: new Set() } : undefined;
  if (slot) {
    context.onClose(() => slot.terminator.close());
    context.addReadiness({ name: `tls ${sc.ip}:${sc.port}`, ready: () => slot.terminator.status().ready });
  }
  // HTTP/2: offered by ALPN on TLS unless alpnProtocols leaves it out; h2c on plain ports when
  // the server has an h2 block or the router is Linkerd's protocol h2.
  const h2Where = `routers[${label}].servers[port ${sc.port}].h2`;
  const alpnProtocols = sc.alpnProtocols ?? ['h2', 'http/1.1'];
  const h2 = terminator
    ? alpnProtocols.includes('h2')
      ? { settings: sc.h2 ?? {}, where: h2Where, stats: serverStats }
      : undefined
    : sc.h2 !== undefined || rc.protocol === 'h2'
      ? { settings: sc.h2 ?? {}, where: h2Where, stats: serverStats }
      : undefined;
  const options: RouterServerOptions = {
    ...serverSettings(sc, rc),
    ...(terminator
      ? {
          // An http.Server listening through the TLS front door (one tls.Server per certificate).
          createServer: (options) => {
            const door = createFrontDoorHttpServer(slot!.terminator, {
              ...options,
              alpnProtocols,
              ...(h2 ? { h2 } : {}),
              ...(acme ? { clientHelloHooks: acme.hooks } : {}),
            });
            slot!.doors.add(door);
            door.once('close', () => slot!.doors.delete(door));
            return door;
          },
        }
      : h2
        ? { createServer: (options) => createPlainHttpServer({ ...options, h2 }) }
        : {}),
  };
  return { config: sc, options, terminator, ...(slot ? { tls: slot } : {}), ...(acme ? { acme } : {}) };
}

/** Builds a router's identifiers; their cleanup and readiness stay with the set. */
export async function buildIdentifiers(
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
    return { built, identifier: chainIdentifiers(built.map((i) => i.identifier)), closers, readiness };
  } catch (error) {
    await runClosers(closers);
    throw error;
  }
}

/** `client.tls` as `tls.connect` options; certificate files are read (and checked) now. */
function upstreamTls(tls: NonNullable<ClientParams['tls']>, context: BuildContext) {
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

/**
 * A server's TLS terminator from its `tls` block (with the identifiers' certificates), loaded;
 * the caller closes it. `Linker.reload` builds one for a changed block and swaps it in.
 */
export async function startTerminator(
  sc: ServerConfig,
  label: string,
  context: BuildContext,
  certificates: readonly CertificateSource[],
): Promise<TlsTerminator> {
  const tls = sc.tls!;
  const resolvePath = (p: string) => resolve(context.baseDir, p);
  const certPath = resolvePath(tls.certPath);
  const configured = fileCertificateSource({
    certPath,
    keyPath: resolvePath(tls.keyPath),
    ...(tls.intermediateCertsPath ? { intermediateCertsPath: resolvePath(tls.intermediateCertsPath) } : {}),
  });
  const terminator = new TlsTerminator({
    // Ingress spec.tls certificates name their hosts on purpose, so they win SNI over the
    // configured certificate, which stays the default for every other name and for no SNI.
    certificates: [...certificates, configured],
    defaultCertificate: certPath,
    ...(tls.caCertPath ? { caCertPath: resolvePath(tls.caCertPath) } : {}),
    requireClientAuth: tls.requireClientAuth,
    ...(tls.acme?.untilIssued === 'fail' ? { unknownServerName: 'reject' as const } : {}),
    ...(tls.protocols ? { protocols: tls.protocols as ('TLSv1.2' | 'TLSv1.3')[] } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    stats: context.stats.scope('rt', label, 'server', sc.ip, String(sc.port)),
    clock: context.clock,
  });
  try {
    await terminator.ready();
  } catch (error) {
    terminator.close();
    throw error;
  }
  return terminator;
}

type ClientConfig = NonNullable<RouterConfig['client']>;
/** The parameters of a client: the global object's, or one io.l5d.static entry's (those it wrote). */
type ClientParams = Partial<Omit<Extract<ClientConfig, { kind: 'io.l5d.global' }>, 'kind'>>;
type ServiceConfig = NonNullable<RouterConfig['service']>;
type ServiceParams = Partial<Omit<Extract<ServiceConfig, { kind: 'io.l5d.global' }>, 'kind'>>;

/**
 * Router client options from client parameters: kinds (balancer, failure accrual) are built
 * now; the result is made per name, substituting the prefix's captures into `tls.commonName`.
 */
async function clientOptionsMaker(
  p: ClientParams,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<(captures: Readonly<Record<string, string>>) => RouterClientOptions> {
  const lb = p.loadBalancer ? await kinds.loadBalancer.build(p.loadBalancer, context) : undefined;
  const accrual = p.failureAccrual ? await kinds.failureAccrual.build(p.failureAccrual, context) : undefined;
  const balancer =
    lb || accrual
      ? withFailureAccrual(
          lb?.factory ??
            (await kinds.loadBalancer.build({ kind: 'p2c', options: { maxEffort: 5 } }, context)).factory,
          accrual?.policy ?? consecutiveFailures({ failures: 5 }),
          { clock: context.clock, ...(accrual?.backoff ? { backoff: accrual.backoff } : {}) },
        )
      : undefined;
  const requeue = p.requeueBudget;
  const tls = p.tls;
  const templated = tls?.commonName !== undefined && templateNames(tls.commonName).length > 0;
  const fixedTls = tls !== undefined && !templated ? upstreamTls(tls, context) : undefined;
  const options: RouterClientOptions = {
    ...(balancer ? { balancer } : {}),
    ...(p.requestAttemptTimeoutMs ? { requestAttemptTimeoutMs: p.requestAttemptTimeoutMs } : {}),
    ...(p.hostConnectionPool?.maxSize ? { maxConnections: p.hostConnectionPool.maxSize } : {}),
    ...(p.hostConnectionPool?.idleTimeMs ? { keepAliveTimeoutMs: p.hostConnectionPool.idleTimeMs } : {}),
    ...(requeue ? { requeueBudget: () => requeueBudget({ ...requeue, clock: context.clock }) } : {}),
    ...(fixedTls ? { tls: fixedTls } : {}),
    ...(p.protocol !== undefined ? { protocol: p.protocol as ClientProtocol } : {}),
  };
  if (!templated) return () => options;
  return (captures) => ({
    ...options,
    tls: upstreamTls({ ...tls!, commonName: substitute(tls!.commonName!, captures) }, context),
  });
}

/** Linkerd 1's h2 router speaks HTTP/2 to backends too: h2c, or h2 when the client has TLS. */
function withRouterProtocol(rc: RouterConfig, o: RouterClientOptions): RouterClientOptions {
  return o.protocol === undefined && rc.protocol === 'h2' ? { ...o, protocol: o.tls ? 'h2' : 'h2c' } : o;
}

/**
 * A router's client and service policies (`client`, `service`): one global object, or
 * io.l5d.static entries per prefix; kinds (balancers, classifiers, backoffs) are built now.
 * `Linker.reload` builds them anew and swaps them in with `router.reconfigure({ policies })`.
 */
export async function buildPolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<RouterPolicies> {
  const { client, clientPolicy } = await clientPolicies(rc, context, kinds);
  const { service, servicePolicy } = await servicePolicies(rc, context, kinds);
  return {
    client,
    ...(clientPolicy ? { clientPolicy } : {}),
    service,
    ...(servicePolicy ? { servicePolicy } : {}),
  };
}

/** `client`: the router-wide client options, and for io.l5d.static the per-bound-name policy. */
async function clientPolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<{ client: RouterClientOptions; clientPolicy?: (bound: Path) => RouterClientOptions }> {
  const config = rc.client;
  if (config === undefined || config.kind === 'io.l5d.global') {
    const make = await clientOptionsMaker(config ?? {}, context, kinds);
    return { client: withRouterProtocol(rc, make({})) };
  }
  const entries = await Promise.all(
    config.configs.map(async (e) => ({
      prefix: e.prefix,
      make: await clientOptionsMaker(e.params, context, kinds),
    })),
  );
  const evaluate = staticPolicy(entries);
  return {
    client: withRouterProtocol(rc, {}),
    clientPolicy: (bound) => withRouterProtocol(rc, evaluate(bound)),
  };
}

/** Router service options from service parameters (kinds built now). */
async function serviceOptionsOf(
  p: ServiceParams,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<RouterServiceOptions> {
  const classifier = p.responseClassifier
    ? await kinds.responseClassifier.build(p.responseClassifier, context)
    : undefined;
  const budget = p.retries?.budget;
  const retryDelays = p.retries?.backoff ? await kinds.backoff.build(p.retries.backoff, context) : undefined;
  return {
    ...(p.totalTimeoutMs ? { totalTimeoutMs: p.totalTimeoutMs } : {}),
    ...(classifier ? { responseClassifier: classifier } : {}),
    ...(budget ? { retryBudget: () => retryBudget({ ...budget, clock: context.clock }) } : {}),
    ...(retryDelays ? { retryBackoff: () => retryBackoff(retryDelays, Math.random) } : {}),
  };
}

/** `service`: the router-wide service options, and for io.l5d.static the per-logical-name policy. */
async function servicePolicies(
  rc: RouterConfig,
  context: BuildContext,
  kinds: DefaultKinds,
): Promise<{ service: RouterServiceOptions; servicePolicy?: (logical: Path) => RouterServiceOptions }> {
  const config = rc.service;
  if (config === undefined || config.kind === 'io.l5d.global')
    return { service: await serviceOptionsOf(config ?? {}, context, kinds) };
  const entries = await Promise.all(
    config.configs.map(async (e) => {
      const options = await serviceOptionsOf(e.params, context, kinds);
      return { prefix: e.prefix, make: () => options };
    }),
  );
  return { service: {}, servicePolicy: staticPolicy(entries) };
}
