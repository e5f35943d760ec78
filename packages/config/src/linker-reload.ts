/**
 * `Linker.reload`: applies a new config to the running linker, every section of it, as one
 * step. First everything is checked (what cannot change live, then the same validate phase
 * start-up runs) and built (namers, telemeters, identifiers, layers, servers — new ports bound —,
 * dtab stores, the admin on a new address); if anything fails, what was built is closed and the
 * running config keeps serving. Only then is it swapped in (reload-commit.ts), and the parts it
 * replaced are drained and closed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AdminServer } from '@switchyard/admin';
import type { PreparedServers, RouterServerOptions } from '@switchyard/router';
import type { TlsTerminator } from '@switchyard/tls';
import type { BuildContext } from './build-context.js';
import { buildPolicies } from './build-policies.js';
import { type BuiltRouter, buildIdentifiers, overrideOptions } from './build-router.js';
import {
  type AcmeServer,
  type BuiltServer,
  buildAcmeServer,
  buildServer,
  hasAcme,
  serverSettings,
  startTerminator,
  type TerminatorSlot,
} from './build-server.js';
import { overriddenIdentifier } from './dtab-overrides.js';
import { attachDtabStore } from './dtab-store.js';
import { ConfigError } from './errors.js';
import { adminIdentity, adminPlacement, createLinkerAdmin } from './linker-admin.js';
import { buildNamers, buildTelemetry } from './linker-parts.js';
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
import { commitReload, type ReloadResult, type RouterPlan } from './reload-commit.js';
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

export type { ReloadResult } from './reload-commit.js';

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
    ...(state.base.reusePort ? { reusePort: true } : {}),
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
        // An added router: built and bound now, serving its new ports; swapped in at commit,
        // where its tls.acme managers start (until then they take no Lease and order nothing).
        const unit = await buildRouterUnit(
          state,
          rc,
          { namers: namers ?? state.namers, telemetry: inputs },
          () => committed,
          true,
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
      // Identifiers name requests under the router's dstPrefix: a new prefix builds them anew.
      if (!isDeepStrictEqual(rc.identifier, before.identifier) || rc.dstPrefix !== before.dstPrefix) {
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
              options: {
                ...serverSettings(sc, rc, state.base.reusePort),
                createServer: old.options.createServer,
              },
              terminator,
              tls: old.tls,
            });
            continue;
          }
          if (old !== undefined && sameServerFactory(old.config, sc)) {
            // Same factory (and terminator): the router changes what it can in place.
            const options = serverSettings(sc, rc, state.base.reusePort);
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
  return commitReload(state, {
    current,
    next,
    graceMs,
    namers,
    telemetry,
    plans,
    added,
    nextRouters,
    swaps,
    admin,
  });
}
