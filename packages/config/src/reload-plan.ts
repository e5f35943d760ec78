/**
 * What a reload changes, section by section, and what it cannot apply live. `Linker.reload`
 * refuses the whole reload (nothing changes) when any part of the new config needs a restart,
 * naming each such field at its file:line:col in the new file.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConfigIssue } from './errors.js';
import type { LinkerConfig, RouterConfig, ServerConfig } from './linker-schema.js';
import type { LoadedConfig } from './load.js';

/** Router fields a reload applies live; every other router field must stay as it is. */
const RELOADABLE: ReadonlySet<string> = new Set([
  'dtab',
  'identifier',
  'dtabOverrides',
  'signedDtabOverrides',
  'servers',
  'limits',
  'dtabStore',
  'httpAccessLog',
  'httpAccessLogFormat',
  'maxHeadersKB',
  'maxRequestKB',
  'maxInitialLineKB',
]);

/** A server's identity across a reload: its port, or its position among the port-0 servers. */
export function serverKeys(servers: readonly { readonly port: number }[]): string[] {
  let ephemeral = 0;
  return servers.map((s) => (s.port === 0 ? `0#${ephemeral++}` : String(s.port)));
}

/** The running server with the same identity as each new one (undefined: added). */
export function matchServers<T extends { readonly config: ServerConfig }>(
  running: readonly T[],
  next: readonly ServerConfig[],
): (T | undefined)[] {
  const byKey = new Map(serverKeys(running.map((r) => r.config)).map((k, i) => [k, running[i]!]));
  return serverKeys(next).map((k) => byKey.get(k));
}

/** Whether a server can keep its `http.Server` factory (and TLS terminator): same TLS, h2, ALPN. */
export function sameServerFactory(before: ServerConfig, after: ServerConfig): boolean {
  return (
    before.ip === after.ip &&
    isDeepStrictEqual(before.tls, after.tls) &&
    isDeepStrictEqual(before.h2, after.h2) &&
    isDeepStrictEqual(before.alpnProtocols, after.alpnProtocols)
  );
}

/** Whether anything a router's servers are built from changed. */
export function serversChanged(before: RouterConfig, after: RouterConfig): boolean {
  return (
    !isDeepStrictEqual(before.servers, after.servers) ||
    before.maxHeadersKB !== after.maxHeadersKB ||
    before.maxRequestKB !== after.maxRequestKB
  );
}

/** Whether a router's layers (telemetry, limits, access log) must be rebuilt. */
export function layersChanged(before: RouterConfig, after: RouterConfig, telemetryChanged: boolean): boolean {
  return (
    telemetryChanged ||
    !isDeepStrictEqual(before.limits, after.limits) ||
    before.httpAccessLog !== after.httpAccessLog ||
    before.httpAccessLogFormat !== after.httpAccessLogFormat
  );
}

/** The changes a reload cannot apply, each at its place in the new file; empty when it can apply all. */
export function refusedChanges(current: LinkerConfig, next: LoadedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { source } = next;
  const restart = { hint: 'restart switchyard-ingress to apply it; the running config keeps serving' };
  if (!isDeepStrictEqual(current.workers, next.config.workers)) {
    issues.push(source.issue(['workers'], 'changing workers needs a restart', restart));
  }
  const labels = (c: LinkerConfig) => c.routers.map((r) => `${r.label ?? r.protocol}`);
  if (!isDeepStrictEqual(labels(current), labels(next.config))) {
    issues.push(
      source.issue(
        ['routers'],
        `routers cannot be added, removed, renamed or reordered by a reload (running: ${labels(current).join(', ')})`,
        restart,
      ),
    );
    return issues;
  }
  next.config.routers.forEach((rc, r) => {
    const before = current.routers[r]!;
    const keys = new Set([...Object.keys(before), ...Object.keys(rc)]);
    for (const key of keys) {
      if (RELOADABLE.has(key)) continue;
      const a = (before as Record<string, unknown>)[key];
      const b = (rc as Record<string, unknown>)[key];
      if (isDeepStrictEqual(a, b)) continue;
      const why =
        key === 'client' || key === 'service'
          ? `${key} policy changes are not applied by a reload yet`
          : `${key} changes need a restart`;
      issues.push(source.issue(['routers', r, key], why, restart));
    }
    const matched = matchServers(
      before.servers.map((config) => ({ config })),
      rc.servers,
    );
    rc.servers.forEach((sc, s) => {
      if (!sc.tls?.acme) return;
      const old = matched[s]?.config;
      if (old !== undefined && isDeepStrictEqual(old.tls, sc.tls) && old.ip === sc.ip) return;
      issues.push(
        source.issue(
          ['routers', r, 'servers', s, 'tls', 'acme'],
          'a server with tls.acme cannot be added or have its TLS block changed by a reload',
          restart,
        ),
      );
    });
  });
  return issues;
}
