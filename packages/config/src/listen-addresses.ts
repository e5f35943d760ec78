/**
 * Every socket a config listens on (router servers, the admin, its probe listener) and the
 * pairs that cannot both bind: the same port on the same address, or on any address when one of
 * them is a wildcard (`0.0.0.0`, `::`). Port 0 (ephemeral) never conflicts.
 */
import type { LinkerConfig } from './linker-schema.js';
import type { FieldPath } from './source.js';

/** One listening socket of a config and the field that sets its port. */
export interface ListenAddress {
  readonly ip: string;
  readonly port: number;
  /** The `port` field, e.g. `['routers', 0, 'servers', 1, 'port']`. */
  readonly field: FieldPath;
  /** What listens there, e.g. `routers[0].servers[1]`, `admin`. */
  readonly what: string;
}

/** Where the admin actually listens: the config, or the caller's override (`--admin-port`). */
export interface AdminPlacement {
  readonly ip?: string;
  readonly port?: number;
}

/** The sockets a config listens on, routers first. `admin: false` leaves out the admin and its probe. */
export function listenAddresses(config: LinkerConfig, admin: AdminPlacement | false): ListenAddress[] {
  const out: ListenAddress[] = [];
  config.routers.forEach((router, r) => {
    router.servers.forEach((server, s) => {
      out.push({
        ip: server.ip,
        port: server.port,
        field: ['routers', r, 'servers', s, 'port'],
        what: `routers[${r}].servers[${s}]`,
      });
    });
  });
  if (admin !== false) {
    out.push({
      ip: admin.ip ?? config.admin.ip,
      port: admin.port ?? config.admin.port,
      field: ['admin', 'port'],
      what: 'admin',
    });
    const probe = config.admin.probe;
    if (probe)
      out.push({ ip: probe.ip, port: probe.port, field: ['admin', 'probe', 'port'], what: 'admin.probe' });
  }
  return out;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '', '*']);

function overlaps(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.ip === b.ip || WILDCARDS.has(a.ip) || WILDCARDS.has(b.ip);
}

/** Each address that cannot bind because an earlier one holds its port, with that earlier one. */
export function listenConflicts(
  addresses: readonly ListenAddress[],
): { readonly address: ListenAddress; readonly holder: ListenAddress }[] {
  const conflicts: { address: ListenAddress; holder: ListenAddress }[] = [];
  addresses.forEach((address, index) => {
    const holder = addresses.slice(0, index).find((earlier) => overlaps(earlier, address));
    if (holder) conflicts.push({ address, holder });
  });
  return conflicts;
}
