/**
 * The linker's admin server, built from the running state: every view reads the state per
 * request, so a reload that replaces namers, telemetry or a dtab store needs no new admin server;
 * only a changed address, probe, control security or Prometheus prefix does.
 */
import { resolve } from 'node:path';
import { type AdminServer, type AdminServerOptions, createAdminServer } from '@switchyard/admin';
import { acmeViews, adminView, certificateViews } from './admin-views.js';
import type { LinkerConfig } from './linker-schema.js';
import type { LinkerState } from './linker-state.js';
import { MINT_PATH, mintRoute } from './override-mint.js';

/** Where the admin listens: the linker's override (tests, `--admin-port`) or the config's. */
export function adminPlacement(state: Pick<LinkerState, 'options'>, config: LinkerConfig) {
  return {
    ip: state.options.admin?.ip ?? config.admin.ip,
    port: state.options.admin?.port ?? config.admin.port,
  };
}

/** What needs a new admin server when it changes (everything else is read per request). */
export function adminIdentity(
  state: LinkerState,
  config: LinkerConfig,
  prometheusPrefix: string | undefined,
  routers: LinkerState['routers'] = state.routers,
) {
  const { probe, security } = config.admin;
  // The admin's router list is fixed when it is built: a changed router set needs a new admin.
  const labels = routers.map((r) => r.router.label);
  return { ...adminPlacement(state, config), probe, security, prometheusPrefix, labels };
}

/** A new admin server (not listening) over the state. */
export function createLinkerAdmin(
  state: LinkerState,
  config: LinkerConfig,
  prometheusPrefix: string | undefined,
  /** Bind this port instead of the placement's (a replaced admin keeps the port 0 picked). */
  port: number = adminPlacement(state, config).port,
  /** The routers it shows (a reload passes the new set before swapping it in). */
  routers: LinkerState['routers'] = state.routers,
): AdminServer {
  const { ip } = adminPlacement(state, config);
  return createAdminServer({
    ip,
    port,
    stats: state.stats,
    routers: routers.map((r) =>
      adminView(
        r,
        () => state.namers.interpreter,
        () => state.parts.get(r)?.store?.attached,
      ),
    ),
    readiness: state.readiness,
    certificates: () => state.routers.flatMap(certificateViews),
    acme: () => state.routers.flatMap(acmeViews),
    recentRequests: () => state.telemetry.recent?.list() ?? [],
    config: state.loaded.raw,
    configStatus: () => ({
      version: state.version,
      ...(state.lastError === undefined ? {} : { lastError: state.lastError }),
      config: state.loaded.raw,
    }),
    ...adminSecurity(
      state.options.admin?.probe === false ? { ...config.admin, probe: undefined } : config.admin,
      state.options.baseDir,
    ),
    controlRoutes: {
      [MINT_PATH]: mintRoute(routers, { baseDir: state.options.baseDir, clock: state.clock }),
    },
    ...(state.options.onShutdown ? { onShutdown: state.options.onShutdown } : {}),
    ...(prometheusPrefix !== undefined ? { prometheusPrefix } : {}),
    clock: state.clock,
  });
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
