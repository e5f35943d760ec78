import type { AcmeManager } from '@switchyard/acme';
import type { Identifier, MetricsRegistry, NameInterpreter, RequestHead } from '@switchyard/core';
import { createHeaderTokenIdentifier } from '@switchyard/identifiers/http';
import {
  type Bound,
  type ClientLayer,
  createRouter,
  type Inbound,
  type Router,
  type RouterServerOptions,
  type ServerLayer,
} from '@switchyard/router';
import {
  type AccessLogFormat,
  attemptTracingClientLayer,
  type RecentRequests,
  requestLogServerLayer,
  tracingServerLayer,
} from '@switchyard/telemetry';
import type { TlsTerminator } from '@switchyard/tls';
import { http01Layer } from './acme.js';
import type { BuildContext, Readiness } from './build-context.js';
import { buildPolicies } from './build-policies.js';
import { type AcmeServer, type BuiltServer, buildAcmeServer, buildServer, hasAcme } from './build-server.js';
import type { DefaultKinds } from './default-kinds.js';
import { overriddenIdentifier, overrideTracingLayer } from './dtab-overrides.js';
import { chainIdentifiers } from './identifier-chain.js';
import type { BuiltIdentifier } from './kinds/identifiers.js';
import { limitLayers } from './kinds/limits.js';
import type { RouterConfig, ServerConfig } from './linker-schema.js';
import { runClosers } from './run-closers.js';
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

export interface RouterDeps {
  readonly base: BuildContext;
  readonly kinds: DefaultKinds;
  readonly interpreter: NameInterpreter;
  readonly telemeters: readonly Awaited<ReturnType<DefaultKinds['telemeter']['build']>>[];
  readonly recent: RecentRequests | undefined;
  readonly stats: MetricsRegistry;
  /** Where the layers register their cleanups (the access log); default the router's context. */
  readonly layersContext?: BuildContext;
  /**
   * Create the `tls.acme` managers without starting them (a router added by a reload: they take
   * no Lease and order nothing until its commit calls each `BuiltServer.acme.start()`).
   */
  readonly deferAcme?: boolean;
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
    const acme =
      sc.tls?.enabled && sc.tls.acme
        ? await buildAcmeServer(sc, label, context, deps.deferAcme === true)
        : undefined;
    const server = await buildServer(sc, rc, label, context, extraCertificates, acme);
    if (server.terminator) terminators.push({ server: sc, terminator: server.terminator });
    builtServers.push(server);
    servers.push(server.options);
  }

  // Reads the identifier set at request time: a config reload swaps `built.identifiers`.
  const identifierLayers: ServerLayer = {
    kind: 'server',
    role: 'identifier-layers',
    description: 'layers of the identifiers (io.l5d.httproute: RequestRedirect, ResponseHeaderModifier)',
    layer: (next) => (inbound) => {
      const own = built.identifiers.built;
      let handler = next;
      for (let i = own.length - 1; i >= 0; i--) {
        const l = own[i]!.layer;
        if (l !== undefined) handler = l.layer(handler);
      }
      return handler(inbound);
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
  fixed: { readonly managers: () => readonly AcmeManager[]; readonly identifierLayers: ServerLayer },
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
