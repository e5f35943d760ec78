/**
 * One router of the linker as a unit that starts and stops on its own: everything its build
 * registers (TLS terminators, ACME managers, readiness checks) goes to its own part, beside its
 * layers and dtab store, so `Linker.start` and a reload that adds a router start it the same way,
 * and a reload that removes one drains and closes it like shutdown without touching the others.
 */
import { type BuiltRouter, buildRouter } from './build-router.js';
import { attachDtabStore } from './dtab-store.js';
import type { RouterConfig } from './linker-schema.js';
import {
  type LinkerState,
  type NamerParts,
  type RouterParts,
  retire,
  scoped,
  type TelemetryParts,
} from './linker-state.js';
import { listening, routerServerIndex } from './listen-errors.js';
import type { LoadedConfig } from './load.js';
import { runClosers } from './run-closers.js';

/** A built router and its parts. */
export interface RouterUnit {
  readonly built: BuiltRouter;
  readonly parts: RouterParts;
}

/** The label a router is known by (metrics, the admin, a reload's matching). */
export function routerLabel(rc: RouterConfig): string {
  return rc.label ?? rc.protocol;
}

/**
 * Builds a router (not listening) with its dtab store. `live` gates the store's updates: a
 * reload adds the router only at its commit, and nothing reaches it before. `deferAcme`: its
 * `tls.acme` managers are created but not started ({@link startRouterUnit} starts them).
 */
export async function buildRouterUnit(
  state: Pick<LinkerState, 'base' | 'readiness' | 'options' | 'stats'>,
  rc: RouterConfig,
  inputs: { readonly namers: NamerParts; readonly telemetry: TelemetryParts },
  live: () => boolean = () => true,
  deferAcme = false,
): Promise<RouterUnit> {
  const label = routerLabel(rc);
  const own = scoped(state.base, state.readiness);
  const layers = scoped(state.base, state.readiness);
  const parts: RouterParts = { own: own.part, layers: layers.part, servers: new Map(), store: undefined };
  let built: BuiltRouter | undefined;
  try {
    built = await buildRouter(rc, label, {
      base: own.context,
      kinds: state.options.kinds,
      interpreter: inputs.namers.interpreter,
      telemeters: inputs.telemetry.telemeters,
      recent: inputs.telemetry.recent,
      stats: state.stats,
      layersContext: layers.context,
      deferAcme,
    });
    const router = built;
    if (rc.dtabStore) {
      const store = scoped(state.base, state.readiness);
      parts.store = {
        // router.config is the reloaded config after a reload: base ++ store stays current.
        attached: await attachDtabStore(rc.dtabStore, label, store.context, (storeDtab) => {
          if (live())
            router.router.reconfigure({ dtab: Object.freeze([...router.config.dtab, ...storeDtab]) });
        }),
        part: store.part,
      };
    }
    return { built, parts };
  } catch (error) {
    await closeRouterUnit(state, built, parts, 0);
    throw error;
  }
}

/** Starts the `tls.acme` managers of a router built with `deferAcme` (a reload's commit). */
export function startRouterUnit(unit: RouterUnit): void {
  for (const server of unit.built.servers) server.acme?.start();
}

/** Binds a router's servers (a failure names the port's field) and adds its readiness checks. */
export async function listenRouterUnit(
  state: Pick<LinkerState, 'readiness'>,
  unit: RouterUnit,
  loaded: LoadedConfig,
  index: number,
): Promise<void> {
  const { built, parts } = unit;
  await listening(built.router.listen(), loaded, (error) => routerServerIndex(loaded.config, index, error));
  const checks = [
    { name: `router ${built.router.label}`, ready: () => built.router.ready },
    {
      name: `identifiers of ${built.router.label}`,
      ready: () => built.identifiers.readiness.every((r) => r.ready()),
    },
  ];
  parts.own.readiness.push(...checks);
  state.readiness.push(...checks);
}

/**
 * Drains a router like shutdown (in-flight requests finish, cut after `graceMs`), then closes
 * its identifiers and every part it holds.
 */
export async function closeRouterUnit(
  state: Pick<LinkerState, 'readiness'>,
  built: BuiltRouter | undefined,
  parts: RouterParts,
  graceMs: number,
): Promise<void> {
  if (built) await built.router.close({ graceMs });
  await Promise.allSettled([
    ...(built ? [runClosers(built.identifiers.closers)] : []),
    retire(parts.layers, state.readiness),
    ...(parts.policies ? [retire(parts.policies, state.readiness)] : []),
    ...[...parts.servers.values()].map((s) => retire(s, state.readiness)),
    ...(parts.store ? [retire(parts.store.part, state.readiness)] : []),
    retire(parts.own, state.readiness),
  ]);
}
