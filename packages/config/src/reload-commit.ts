/**
 * The commit phase of `Linker.reload` (linker-reload.ts prepares): swaps in everything the
 * prepare phase built — namers, telemetry, each router's identifiers, layers, policies, servers
 * (and their ACME managers), dtab store, the router set and the admin — in an order that refuses
 * nothing, then drains and closes the parts they replaced.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AdminServer } from '@switchyard/admin';
import type { Identifier, RequestHead } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { PreparedServers, RouterPolicies, RouterServerChanges } from '@switchyard/router';
import type { TlsTerminator } from '@switchyard/tls';
import type { BuiltRouter, IdentifierSet, RouterLayers } from './build-router.js';
import { type AcmeServer, type BuiltServer, swapTerminator, type TerminatorSlot } from './build-server.js';
import type { AttachedDtabStore } from './dtab-store.js';
import type { LinkerConfig } from './linker-schema.js';
import { type LinkerState, type NamerParts, type Part, retire, type TelemetryParts } from './linker-state.js';
import type { LoadedConfig } from './load.js';
import { closeRouterUnit, type RouterUnit, startRouterUnit } from './router-unit.js';
import { runClosers } from './run-closers.js';

/** What `reload` did: `changes` names each applied section (`namers`, `routers[0].servers`, …). */
export type ReloadResult =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly changes: readonly string[] };

/** Everything built for one router, swapped in at commit. */
export interface RouterPlan {
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

/** What the prepare phase built, swapped in by {@link commitReload}. */
export interface PreparedReload {
  readonly current: LinkerConfig;
  readonly next: LoadedConfig;
  readonly graceMs: number;
  readonly namers: NamerParts | undefined;
  readonly telemetry: TelemetryParts | undefined;
  readonly plans: ReadonlyMap<BuiltRouter, RouterPlan>;
  readonly added: readonly RouterUnit[];
  readonly nextRouters: BuiltRouter[];
  readonly swaps: readonly { readonly slot: TerminatorSlot; readonly terminator: TlsTerminator }[];
  readonly admin: { readonly server: AdminServer; readonly bound: boolean } | undefined;
}

/** Swaps a prepared reload in (see the module comment); nothing here is refused. */
export async function commitReload(state: LinkerState, prepared: PreparedReload): Promise<ReloadResult> {
  const { current, next, graceMs, namers, telemetry, plans, added, nextRouters, swaps, admin } = prepared;
  const config = next.config;
  // New handshakes get the new certificates; open connections keep theirs.
  for (const swap of swaps) swapTerminator(swap.slot, swap.terminator);
  const changes: string[] = [];
  const retiring: Promise<void>[] = [];
  /**
   * Parts the old clients may still use (old namers, old policies' kinds): retired once every
   * router released what it retired (`released`), at the latest after the grace.
   */
  const later: Part[] = [];
  const released: Promise<unknown>[] = [];
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
  for (const unit of added) {
    state.parts.set(unit.built, unit.parts);
    startRouterUnit(unit);
  }
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
    const bindingTimeoutChanged = rc.bindingTimeoutMs !== before.bindingTimeoutMs;
    const bindingCacheChanged = !isDeepStrictEqual(rc.bindingCache, before.bindingCache);
    const reconfigured = router.router.reconfigure({
      ...(dtabChanged ? { dtab } : {}),
      ...(plan.identifier ? { identifier: plan.identifier } : {}),
      ...(namers ? { interpreter: namers.interpreter, graceMs } : {}),
      ...(plan.layers ? { layers: plan.layers.layers } : {}),
      ...(plan.policies ? { policies: plan.policies.policies, graceMs } : {}),
      ...(bindingTimeoutChanged ? { bindingTimeoutMs: rc.bindingTimeoutMs } : {}),
      // A new binding cache of that shape; the old clients close once idle, as for policies.
      ...(bindingCacheChanged ? { bindingCache: rc.bindingCache ?? {}, graceMs } : {}),
    });
    if (namers || plan.policies || bindingCacheChanged) released.push(reconfigured.released);
    if (rc.dstPrefix !== before.dstPrefix) changes.push(`${at}.dstPrefix`);
    if (bindingTimeoutChanged) changes.push(`${at}.bindingTimeoutMs`);
    if (bindingCacheChanged) changes.push(`${at}.bindingCache`);
    if (!isDeepStrictEqual(rc.interpreter, before.interpreter)) changes.push(`${at}.interpreter`);
    if (rc.streamingEnabled !== before.streamingEnabled) changes.push(`${at}.streamingEnabled`);
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
      if (!isDeepStrictEqual(rc.identifier, before.identifier)) changes.push(`${at}.identifier`);
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
    const closed = closeRouterUnit(state, router, parts, graceMs).then(() => void state.parts.delete(router));
    retiring.push(closed);
    // It bound through the old namers until it closed.
    released.push(closed);
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
  // Old clients keep serving requests already bound to them: the old namers (their watches)
  // and policy kinds go once the last of those clients closed, or when the grace ends.
  if (namers) later.push(oldNamers.part);
  if (later.length > 0) retireWhenReleased(state, later, released, graceMs);
  await Promise.all(serverWork);
  // Exporters flush what they queued when closed; after the swap no new span reaches them.
  if (telemetry) retiring.push(retire(oldTelemetry.part, state.readiness));
  await Promise.allSettled(retiring);
  return changes.length === 0 ? { kind: 'unchanged' } : { kind: 'applied', changes };
}

/**
 * Retires `parts` once every promise of `released` settled (nothing still serving uses them), at
 * the latest after `graceMs`; once.
 */
function retireWhenReleased(
  state: LinkerState,
  parts: readonly Part[],
  released: readonly Promise<unknown>[],
  graceMs: number,
): void {
  let done = false;
  const retireAll = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    for (const part of parts) void retire(part, state.readiness).catch(() => undefined);
  };
  const timer = setTimeout(retireAll, graceMs);
  timer.unref();
  void Promise.allSettled(released).then(retireAll);
}
