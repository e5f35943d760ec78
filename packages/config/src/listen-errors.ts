/**
 * Bind failures as config errors: a listener that cannot bind (port in use, no permission)
 * becomes `SY_ERR_CONFIG_START` naming the config field that chose the address, at start-up and
 * when a reload binds new servers or moves the admin.
 */
import { ConfigError } from './errors.js';
import type { LinkerConfig } from './linker-schema.js';
import type { LoadedConfig } from './load.js';
import type { FieldPath } from './source.js';

/**
 * Waits for a listener to bind; a bind failure (port in use, no permission for a port below
 * 1024) becomes `SY_ERR_CONFIG_START` naming the config field that chose the address.
 */
export async function listening<T>(
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
export function routerServerIndex(
  config: LinkerConfig,
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
