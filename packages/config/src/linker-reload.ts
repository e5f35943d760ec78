/**
 * `Linker.reload`: applies a new config to the running linker, every section of it, as one
 * step. First everything is checked (what cannot change live, then the same validate phase
 * start-up runs) and built (namers, telemeters, identifiers, layers, servers — new ports bound —,
 * dtab stores, the admin on a new address); if anything fails, what was built is closed and the
 * running config keeps serving. Only then is it swapped in, and the parts it replaced are drained
 * and closed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AdminServer } from '@switchyard/admin';
import { createInterpreter, type Identifier, type RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type {
  PreparedServers,
  RouterPolicies,
  RouterServerChanges,
  RouterServerOptions,
} from '@switchyard/router';
import type { TlsTerminator } from '@switchyard/tls';
import type { BuildContext } from './build-context.js';
import { buildPolicies } from './build-policies.js';
import {
  type BuiltRouter,
  buildIdentifiers,
  type IdentifierSet,
  overrideOptions,
  type RouterLayers,
} from './build-router.js';
import {
  type AcmeServer,
  type BuiltServer,
  buildAcmeServer,
  buildServer,
  hasAcme,
  serverSettings,
  startTerminator,
  swapTerminator,
  type TerminatorSlot,
} from './build-server.js';
import { overriddenIdentifier } from './dtab-overrides.js';
import { type AttachedDtabStore, attachDtabStore } from './dtab-store.js';
import { ConfigError } from './errors.js';
import { adminIdentity, adminPlacement, createLinkerAdmin } from './linker-admin.js';
import type { LinkerConfig } from './linker-schema.js';
import {
  type LinkerState,
  type NamerParts,
  type Part,
  retire,
  scoped,
  type TelemetryParts,
} from './linker-state.js';
import { listening, routerServerIndex } from './listen-errors.js';
import type { LoadedConfig } from './load.js';
import {
  layersChanged,
  matchServers,
  refusedChanges,
  sameServerFactory,
  serversChanged,
  swappableTls,
} from './reload-plan.js';
import {
  buildRouterUnit,
  closeRouterUnit,
  listenRouterUnit,
  type RouterUnit,
  routerLabel,
} from './router-unit.js';
import { runClosers } from './run-closers.js';
import { validateLinker } from './validate-linker.js';

/** What `reload` did: `changes` names each applied section (`namers`, `routers[0].servers`, …). */
export type ReloadResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly changes: readonly string[] };

/** Builds the namers of a config into one interpreter (Linkerd mounts prefix /p at /#/p). */
export async function buildNamers(
  state: Pick<LinkerState, 'base' | 'readiness' | 'options'>,
  config: LinkerConfig,
) {
  const { context, part } = scoped(state.base, state.readiness);
  try {
    const namers = await Promise.all(config.namers.map((n) => state.options.kinds.namer.build(n, context)));
    const interpreter = createInterpreter({
      namers: namers.map((n) => ({
        prefix: n.prefix[0] === '#' || n.prefix[0] === '$' ? n.prefix : ['#', ...n.prefix],
        namer: n.namer,
      })),
    });
    return { interpreter, part } satisfies NamerParts;
  } catch (error) {
    await retire(part, state.readiness);
    throw error;
  }
}

/** Builds the telemeters of a config. */
export async function buildTelemetry(
  state: Pick<LinkerState, 'base' | 'readiness' | 'options'>,
  config: LinkerConfig,
): Promise<TelemetryParts> {
  const { context, part } = scoped(state.base, state.readiness);
  try {
    const telemeters = await Promise.all(
      config.telemetry.map((t) => state.options.kinds.telemeter.build(t, context)),
    );
    const recent = telemeters.find((t) => t.kind === 'recentRequests')?.recent;
    const prometheus = telemeters.find((t) => t.kind === 'prometheus');
    return { telemeters, recent, prometheusPrefix: prometheus?.prefix, part };
  } catch (error) {
    await retire(part, state.readiness);
    throw error;
  }
}

/** Everything built for one router, swapped in at commit. */
interface RouterPlan {
  identifiers?: IdentifierSet;
  identifier?: Identifier<RequestHead>;
  layers?: { readonly layers: RouterLayers; readonly part: Part };
  policies?: { readonly policies: RouterPolicies; readonly part: Part };
  servers?: {
    readonly built: readonly BuiltServer[];
    readonly fresh: Map<BuiltServer, Part>;
    readonly prepared: PreparedServers;
    /** ACME managers of added or replaced servers: built, started at the commit. */
    readonly acme: readonly AcmeServer[];
  };
  store?: { readonly attached: AttachedDtabStore | undefined; readonly part: Part | undefined };
}

/** Applies `next` to the running state (see the module comment). */
export async function reloadLinker(state: LinkerState, next: LoadedConfig): Promise<ReloadResult> {
  const current = state.loaded.config;
  const refused = refusedChanges(current, next);
  if (refused.length > 0) throw new ConfigError('SY_ERR_CONFIG_RELOAD', refused);
  const { kinds, baseDir } = state.options;
  const issues = await validateLinker(next, {
    kinds,
    baseDir,
    ...(state.options.admin ? { admin: state.options.admin } : {}),
    ...(state.options.noAdmin ? { noAdmin: true } : {}),
  });
  if (issues.length > 0) throw new ConfigError('SY_ERR_CONFIG_INVALID', issues);

  const config = next.config;
  const namersChanged = !isDeepStrictEqual(current.namers, config.namers);
  const telemetryChanged = !isDeepStrictEqual(current.telemetry, config.telemetry);
  const built: Part[] = [];
  const prepared: PreparedServers[] = [];
  const plans = new Map<BuiltRouter, RouterPlan>();
  /** Terminators for changed TLS blocks, swapped into the running doors at commit. */
  const swaps: { readonly slot: TerminatorSlot; readonly terminator: TlsTerminator }[] = [];
  // Routers are matched by label: the running one of each new entry, or one built now.
  const running = new Map(state.routers.map((r) => [r.router.label, r]));
  const nextRouters: BuiltRouter[] = [];
  const added: RouterUnit[] = [];
  let namers: NamerParts | undefined;
  let telemetry: TelemetryParts | undefined;
  let admin: { server: AdminServer; bound: boolean } | undefined;
  // Gates the new stores' callbacks: nothing reaches a router before the commit.
  let committed = false;
  const graceMs = config.admin.shutdownGraceMs;
  try {
    if (namersChanged) {
      namers = await buildNamers(state, config);
      built.push(namers.part);
    }
    if (telemetryChanged) {
      telemetry = await buildTelemetry(state, config);
      built.push(telemetry.part);
    }
    const inputs = telemetry ?? state.telemetry;
    for (const [index, rc] of config.routers.entries()) {
      const label = routerLabel(rc);
      const router = running.get(label);
      if (router === undefined) {
        // An added router: built and bound now, serving its new ports; swapped in at commit.
        const unit = await buildRouterUnit(
          state,
          rc,
          { namers: namers ?? state.namers, telemetry: inputs },
          () => committed,
        );
        added.push(unit);
        await listenRouterUnit(state, unit, next, index);
        nextRouters.push(unit.built);
        continue;
      }
      nextRouters.push(router);
      const before = router.config;
      const plan: RouterPlan = {};
      plans.set(router, plan);
      if (!isDeepStrictEqual(rc.identifier, before.identifier)) {
        const context: BuildContext = { ...state.base, router: { label, dstPrefix: rc.dstPrefix } };
        plan.identifiers = await buildIdentifiers(rc, context, kinds);
      }
      // Overrides are re-read whenever they are present: a rotated key file applies on reload too.
      if (
        plan.identifiers !== undefined ||
        !isDeepStrictEqual(rc.dtabOverrides, before.dtabOverrides) ||
        rc.signedDtabOverrides !== undefined ||
        before.signedDtabOverrides !== undefined
      ) {
        plan.identifier = await overriddenIdentifier(
          (plan.identifiers ?? router.identifiers).identifier,
          rc,
          overrideOptions(label, state.base),
        );
      }
      if (!isDeepStrictEqual(rc.client, before.client) || !isDeepStrictEqual(rc.service, before.service)) {
        const { context, part } = scoped(
          { ...state.base, router: { label, dstPrefix: rc.dstPrefix } },
          state.readiness,
        );
        built.push(part);
        plan.policies = { policies: await buildPolicies(rc, context, kinds), part };
      }
      // A first (or no more) tls.acme server adds (or drops) the HTTP-01 layer.
      if (layersChanged(before, rc, telemetryChanged) || hasAcme(before) !== hasAcme(rc)) {
        const { context, part } = scoped(state.base, state.readiness);
        built.push(part);
        plan.layers = { layers: router.layersFor(rc, inputs, context), part };
      }
      if (serversChanged(before, rc)) {
        const running = matchServers(router.servers, rc.servers);
        const fresh = new Map<BuiltServer, Part>();
        const servers: BuiltServer[] = [];
        const acme: AcmeServer[] = [];
        const certificates = (plan.identifiers ?? router.identifiers).built.flatMap((i) =>
          i.certificates ? [i.certificates] : [],
        );
        for (const [s, sc] of rc.servers.entries()) {
          const old = running[s];
          if (old?.tls !== undefined && swappableTls(old.config, sc)) {
            // A changed TLS block on a TLS server: a new terminator, swapped into its doors at commit.
            const terminator = await startTerminator(sc, label, state.base, certificates);
            swaps.push({ slot: old.tls, terminator });
            servers.push({
              config: sc,
              options: { ...serverSettings(sc, rc), createServer: old.options.createServer },
              terminator,
              tls: old.tls,
            });
            continue;
          }
          if (old !== undefined && sameServerFactory(old.config, sc)) {
            // Same factory (and terminator): the router changes what it can in place.
            const options = serverSettings(sc, rc);
            const { createServer } = old.options;
            servers.push({
              config: sc,
              options: createServer === undefined ? options : { ...options, createServer },
              terminator: old.terminator,
              ...(old.tls ? { tls: old.tls } : {}),
              ...(old.acme ? { acme: old.acme } : {}),
            });
            continue;
          }
          const { context, part } = scoped(state.base, state.readiness);
          built.push(part);
          // A tls.acme manager is created now but started only at the commit: until then it takes
          // no Lease and orders nothing, and a failed reload closes it with the server's part.
          const manager =
            sc.tls?.enabled && sc.tls.acme ? await buildAcmeServer(sc, label, context, true) : undefined;
          if (manager) acme.push(manager);
          const server = await buildServer(sc, rc, label, context, certificates, manager);
          fresh.set(server, part);
          servers.push(server);
        }
        const options: RouterServerOptions[] = servers.map((s) => s.options);
        const ready = await listening(router.router.prepareServers(options, { graceMs }), next, (error) =>
          routerServerIndex(config, index, error),
        );
        prepared.push(ready);
        plan.servers = { built: servers, fresh, prepared: ready, acme };
      }
      if (!isDeepStrictEqual(rc.dtabStore, before.dtabStore)) {
        if (rc.dtabStore === undefined) plan.store = { attached: undefined, part: undefined };
        else {
          const { context, part } = scoped(state.base, state.readiness);
          built.push(part);
          const attached = await attachDtabStore(rc.dtabStore, label, context, (storeDtab) => {
            if (committed)
              router.router.reconfigure({ dtab: Object.freeze([...router.config.dtab, ...storeDtab]) });
          });
          plan.store = { attached, part };
        }
      }
    }
    const prefix = (telemetry ?? state.telemetry).prometheusPrefix;
    if (
      !state.options.noAdmin &&
      !isDeepStrictEqual(
        adminIdentity(state, current, state.telemetry.prometheusPrefix, state.routers),
        adminIdentity(state, config, prefix, nextRouters),
      )
    ) {
      const moved = !isDeepStrictEqual(adminPlacement(state, current), adminPlacement(state, config));
      // Not moved: the replacement takes the port the running one has (the one port 0 picked,
      // which the --workers primary relays to).
      const port = moved ? undefined : state.admin?.address?.port;
      const server = createLinkerAdmin(
        state,
        config,
        prefix,
        port ?? adminPlacement(state, config).port,
        nextRouters,
      );
      // A new address binds now (a failure changes nothing); on the same one the new admin takes
      // the running one's listeners over at the commit.
      if (moved) {
        await listening(server.listen(), next, (error) =>
          config.admin.probe !== undefined && error.port === config.admin.probe.port
            ? ['admin', 'probe', 'port']
            : ['admin', 'port'],
        );
      }
      admin = { server, bound: moved };
    }
  } catch (error) {
    await Promise.allSettled(prepared.map((p) => p.abort()));
    for (const swap of swaps) swap.terminator.close();
    await Promise.allSettled(added.map((u) => closeRouterUnit(state, u.built, u.parts, 0)));
    if (admin?.bound) await admin.server.close();
    for (const plan of plans.values()) if (plan.identifiers) await runClosers(plan.identifiers.closers);
    await Promise.allSettled(built.map((part) => retire(part, state.readiness)));
    throw error;
  }

  // Commit: from here on nothing is refused.
  committed = true;
  // New handshakes get the new certificates; open connections keep theirs.
  for (const swap of swaps) swapTerminator(swap.slot, swap.terminator);
  const changes: string[] = [];
  const retiring: Promise<void>[] = [];
  /** Parts retired once the grace has passed (the old clients may still use them until then). */
  const later: Part[] = [];
  const oldNamers = state.namers;
  const oldTelemetry = state.telemetry;
  if (namers) {
    state.namers = namers;
    changes.push('namers');
  }
  if (telemetry) {
    state.telemetry = telemetry;
    changes.push('telemetry');
  }
  const serverWork: Promise<unknown>[] = [];
  for (const unit of added) state.parts.set(unit.built, unit.parts);
  const removed = state.routers.filter((r) => !nextRouters.includes(r));
  state.routers = nextRouters;
  for (const [index, rc] of config.routers.entries()) {
    const router = nextRouters[index]!;
    const plan = plans.get(router);
    const parts = state.parts.get(router)!;
    const at = `routers[${index}]`;
    if (plan === undefined) {
      // Added: what its dtab store holds by now applies after the config dtab.
      const stored = parts.store?.attached.dtab() ?? Dtab.empty;
      if (stored.length > 0) router.router.reconfigure({ dtab: Object.freeze([...rc.dtab, ...stored]) });
      changes.push(`${at} added`);
      continue;
    }
    const before = router.config;
    if (plan.store) {
      const old = parts.store;
      parts.store = plan.store.attached
        ? { attached: plan.store.attached, part: plan.store.part! }
        : undefined;
      if (old) retiring.push(retire(old.part, state.readiness));
      changes.push(`${at}.dtabStore`);
    }
    const stored = parts.store?.attached.dtab() ?? Dtab.empty;
    const dtab = stored.length === 0 ? rc.dtab : Object.freeze([...rc.dtab, ...stored]);
    const dtabChanged = Dtab.show(dtab) !== Dtab.show(router.router.dtab);
    router.router.reconfigure({
      ...(dtabChanged ? { dtab } : {}),
      ...(plan.identifier ? { identifier: plan.identifier } : {}),
      ...(namers ? { interpreter: namers.interpreter, graceMs } : {}),
      ...(plan.layers ? { layers: plan.layers.layers } : {}),
      ...(plan.policies ? { policies: plan.policies.policies, graceMs } : {}),
    });
    if (plan.policies) {
      // The old clients finish their requests and close after the grace; then their kinds go.
      const old = parts.policies;
      parts.policies = plan.policies.part;
      if (old) later.push(old);
      if (!isDeepStrictEqual(rc.client, before.client)) changes.push(`${at}.client`);
      if (!isDeepStrictEqual(rc.service, before.service)) changes.push(`${at}.service`);
    }
    if (dtabChanged) changes.push(`${at}.dtab`);
    if (!isDeepStrictEqual(rc.dtabOverrides, before.dtabOverrides)) changes.push(`${at}.dtabOverrides`);
    if (!isDeepStrictEqual(rc.signedDtabOverrides, before.signedDtabOverrides)) {
      changes.push(`${at}.signedDtabOverrides`);
    }
    if (plan.identifiers) {
      const retired = router.identifiers;
      router.identifiers = plan.identifiers;
      router.attachIdentifiers(plan.identifiers);
      retiring.push(runClosers(retired.closers));
      changes.push(`${at}.identifier`);
    }
    if (plan.layers) {
      const old = parts.layers;
      parts.layers = plan.layers.part;
      retiring.push(retire(old, state.readiness));
      if (!isDeepStrictEqual(rc.limits, before.limits)) changes.push(`${at}.limits`);
      if (
        rc.httpAccessLog !== before.httpAccessLog ||
        rc.httpAccessLogFormat !== before.httpAccessLogFormat
      ) {
        changes.push(`${at}.httpAccessLog`);
      }
    }
    if (plan.servers) {
      const { built: servers, fresh, prepared: ready, acme } = plan.servers;
      // A server keeps its part (its TLS terminator) while its factory is kept.
      const kept = new Set(servers.map((n) => n.options.createServer));
      const leaving = router.servers.filter((s) => !kept.has(s.options.createServer));
      router.servers = servers;
      if (acme.length > 0 || leaving.some((s) => s.acme)) {
        // The replaced servers' managers stop first (their Leases released: a replacement on
        // the same port competes for the same Lease), then the new ones start and follow the
        // names the current identifiers serve over TLS.
        const stopping = leaving.flatMap((s) => (s.acme ? [s.acme.stop()] : []));
        router.attachIdentifiers(router.identifiers, acme);
        serverWork.push(
          Promise.allSettled(stopping).then(() => {
            for (const a of acme) a.start();
          }),
        );
      }
      router.terminators = servers.flatMap((s) =>
        s.terminator ? [{ server: s.config, terminator: s.terminator }] : [],
      );
      for (const [server, part] of fresh) parts.servers.set(server.options.createServer, part);
      serverWork.push(
        ready.commit().then(async (summary: RouterServerChanges) => {
          for (const s of leaving) {
            const part = parts.servers.get(s.options.createServer);
            if (part) {
              parts.servers.delete(s.options.createServer);
              await retire(part, state.readiness);
            }
          }
          return summary;
        }),
      );
      changes.push(`${at}.servers`);
    }
    router.config = rc;
  }
  // Removed routers drain like shutdown, then close everything they hold.
  for (const router of removed) {
    const parts = state.parts.get(router)!;
    retiring.push(closeRouterUnit(state, router, parts, graceMs).then(() => void state.parts.delete(router)));
    changes.push(`router ${router.router.label} removed`);
  }
  if (admin) {
    const old = state.admin;
    state.admin = admin.server;
    if (!admin.bound) {
      // Same address: the new admin serves on the running one's listeners (never refused).
      try {
        await admin.server.listen(old ? { takeOver: old } : {});
      } catch (error) {
        // A new probe address that cannot bind: the running admin keeps its listeners.
        state.admin = old;
        throw error;
      }
    } else retiring.push(old?.close() ?? Promise.resolve());
    changes.push('admin');
  } else if (!isDeepStrictEqual(current.admin, config.admin)) changes.push('admin');
  state.loaded = next;
  // Old clients keep serving requests already bound to them until the grace ends.
  if (namers) later.push(oldNamers.part);
  if (later.length > 0) {
    const timer = setTimeout(() => {
      for (const part of later) void retire(part, state.readiness).catch(() => undefined);
    }, graceMs);
    timer.unref();
  }
  await Promise.all(serverWork);
  // Exporters flush what they queued when closed; after the swap no new span reaches them.
  if (telemetry) retiring.push(retire(oldTelemetry.part, state.readiness));
  await Promise.allSettled(retiring);
  return changes.length === 0 ? { kind: 'unchanged' } : { kind: 'applied', changes };
}
