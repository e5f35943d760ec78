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
  'client',
  'service',
  'dstPrefix',
  'bindingTimeoutMs',
  'bindingCache',
  'interpreter',
  'streamingEnabled',
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

/**
 * Whether a TLS server's changed TLS block can be swapped into its running front doors (a new
 * terminator, same listener and connections): TLS on before and after, no `tls.acme` (its manager
 * is part of the server), and the same address, h2 and ALPN settings.
 */
export function swappableTls(before: ServerConfig, after: ServerConfig): boolean {
  return (
    before.tls?.enabled === true &&
    after.tls?.enabled === true &&
    before.tls.acme === undefined &&
    after.tls.acme === undefined &&
    !isDeepStrictEqual(before.tls, after.tls) &&
    before.ip === after.ip &&
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
  // The workers' count applies in switchyard-ingress's primary (it starts or drains workers);
  // how they listen cannot change under a running pod.
  const listenOf = (w: LinkerConfig['workers']) => (typeof w === 'object' ? w.listen : 'cluster');
  if (listenOf(current.workers) !== listenOf(next.config.workers)) {
    issues.push(
      source.issue(
        typeof next.config.workers === 'object' ? ['workers', 'listen'] : ['workers'],
        `changing workers.listen (${listenOf(current.workers)} to ${listenOf(next.config.workers)}) needs a restart: the kernel lets a port be shared only by sockets that all set SO_REUSEPORT, and under cluster the primary holds the port's one socket without it, so the two modes cannot hold a port at the same time`,
        restart,
      ),
    );
  }
  // Routers are matched by label (`label`, else `protocol`): new labels are added routers,
  // missing ones removed routers.
  const label = (r: RouterConfig) => r.label ?? r.protocol;
  const running = new Map(current.routers.map((r) => [label(r), r]));
  // A port held by another router now: the new router could bind it only after the other let go,
  // which cannot happen before the commit (a reload binds every new port first).
  const holders = new Map<number, string>();
  for (const r of current.routers) for (const s of r.servers) if (s.port !== 0) holders.set(s.port, label(r));
  next.config.routers.forEach((rc, r) => {
    rc.servers.forEach((sc, s) => {
      const holder = holders.get(sc.port);
      if (holder === undefined || holder === label(rc)) return;
      issues.push(
        source.issue(
          ['routers', r, 'servers', s, 'port'],
          `port ${sc.port} is served by router "${holder}" in the running config; a port cannot move between routers in one reload`,
          { hint: `remove it from "${holder}" in one reload, then add it here in the next` },
        ),
      );
    });
  });
  next.config.routers.forEach((rc, r) => {
    const before = running.get(label(rc));
    // An added router is built whole, ACME servers included.
    if (before === undefined) return;
    const keys = new Set([...Object.keys(before), ...Object.keys(rc)]);
    for (const key of keys) {
      if (RELOADABLE.has(key)) continue;
      const a = (before as Record<string, unknown>)[key];
      const b = (rc as Record<string, unknown>)[key];
      if (isDeepStrictEqual(a, b)) continue;
      issues.push(source.issue(['routers', r, key], `${key} changes need a restart`, restart));
    }
  });
  return issues;
}

/** The "Reload" section of docs/configuration.md (generated with the rest of the reference). */
export const RELOAD_REFERENCE: readonly string[] = [
  '## Reload',
  '',
  'switchyard-ingress re-reads its config file when it changes (the directory is watched, so a',
  "Kubernetes ConfigMap's `..data` swap counts) and on `SIGHUP`. A reload is all or nothing:",
  '',
  '1. Changes a reload cannot apply are refused (`SY_ERR_CONFIG_RELOAD`, each field named at its',
  "   file:line:column): a running router's `protocol` (with a `label`: the label names the router,",
  '   the protocol is what its servers and clients are built for; without one a new protocol is a',
  '   new router); a port moving from one router to another (remove it in one reload, add it in the',
  '   next); `workers.listen`. Every other field applies live (table below).',
  '2. The validate phase runs, as at start-up and `--check` (`SY_ERR_CONFIG_INVALID`).',
  '3. Everything that changed is built: namers, telemeters, identifiers, layers, TLS terminators,',
  '   `tls.acme` managers (created, not started: no Lease taken, nothing ordered);',
  '   new ports are bound, a moved admin is bound. If anything fails (a port in use is',
  '   `SY_ERR_CONFIG_START` naming the field), what was built is closed and nothing changes.',
  '4. It is swapped in; requests in flight finish with what they started with, and the replaced',
  '   parts are drained and closed.',
  '',
  'The running config keeps serving whenever a reload fails.',
  '',
  '`tls.acme` in a running router: a server that gains `tls.acme` or whose TLS block with',
  '`tls.acme` changes is drained and replaced (below) with a new ACME manager. The manager is built',
  'before the swap but started only at the commit, so a reload that fails takes no Lease and orders',
  "nothing; at the commit the replaced server's manager is stopped first (its Lease released, as the",
  'new one competes for the same Lease name), then the new one starts, follows the names the',
  "current identifiers serve over TLS, and answers HTTP-01 on the router's servers (the HTTP-01 layer",
  'is added when a router gets its first `tls.acme` server). A router added by a reload is built',
  'whole with its managers created the same way: they start at the commit, so a reload that fails',
  'after building it takes no Lease and orders nothing either.',
  '',
  '| section | how it applies |',
  '| --- | --- |',
  '| `routers` | Routers are matched by `label` (else `protocol`). **Added** (a new label): built whole (identifiers, policies, servers, TLS and `tls.acme`, dtab store) and bound before the swap; a failure changes nothing. **Removed**: drains like shutdown (stops accepting, requests in flight finish, cut after `admin.shutdownGraceMs`), then its identifiers, terminators and store close. A renamed router is one removed and one added, so its ports cannot stay (see the refusals above). Reordered: the admin lists them in the new order. The admin server is replaced when the set changes; the replacement serves on the running admin listener, so the admin port never refuses a connection. |',
  '| `routers[].dtab` | Requests from now on; bound names bind again, clients and their connections are kept. |',
  '| `identifier`, `dtabOverrides`, `signedDtabOverrides` | New identifiers are built (an Ingress source syncs first), then swapped in; the old ones are closed. Key files are re-read on every reload. |',
  '| `servers`, `maxHeadersKB`, `maxRequestKB` | Servers are matched by `port` (port 0 ones by their order among the port-0 servers). **Added**: listens. **Removed**: drains like shutdown — stops accepting, requests in flight finish, keep-alive connections close after their response, what is left is cut after `admin.shutdownGraceMs`. **Changed in place** (same listener, same connections): `clearContext`, `maxConcurrentRequests`, `maxRequestKB`, `addForwardedHeader`, `requestTimeoutMs`, `headersTimeoutMs`, `keepAliveTimeoutMs`. **TLS swapped in place**: a changed `tls` block on a server that has TLS before and after (without `tls.acme`, same `ip`, `h2`, `alpnProtocols`) gets a new TLS terminator, loaded before the swap, which the running front door uses for every new handshake; the listener and open connections (keep-alive and HTTP/2 included) keep going with the certificate they negotiated. **Drained and replaced** (what a live `http.Server` cannot change): `ip`, `maxHeadersKB`, TLS turned on or off, `h2`, `alpnProtocols`, a TLS block with `tls.acme` (added, changed or removed: a new manager, see above); on a new address the new listener binds before the old one drains. On the same address (same `ip` and port) the server is taken over, whatever changed among these (plain, TLS, h2c, `h2`, `alpnProtocols`, `tls.acme`, `maxHeadersKB`): the router keeps the one listening socket of the address and every connection it accepts from then on goes to the new server, so no connection is refused or reset; connections already open stay on the old server and drain: a request in flight finishes there (HTTP/1.1 keep-alive connections close after it, HTTP/2 sessions get GOAWAY), and a connection accepted just before the handover is served there first, its TLS handshake or h2c preface included. An idle HTTP/1.1 keep-alive connection of the old server is closed at the handover: a client whose next request crosses that close sees it reset (the faults suite counted 2–7 per handover under keep-alive load), so clients should retry an idempotent request on a reused connection, as RFC 9112 §9.3.1 allows. A `reusePort` change still closes and binds again on the same address (Linux lets sockets share a port only when every one of them sets SO_REUSEPORT, so the new socket cannot bind before the old one closes, in either direction): connections arriving in that moment, about a millisecond, are refused. Node checks request and header timeouts on a sweep whose interval is fixed when the server is created (`headersTimeoutMs`/4), so a lowered `headersTimeoutMs` is enforced on the old interval. |',
  '| `namers` | New namers and interpreter; every router gets a new binding cache (names bind again, with new clients). The old clients finish the requests already bound to them; each is closed (its pools close their idle connections) as soon as the last of them ended, at the latest after `admin.shutdownGraceMs`. The old namers (their watches: an `allNamespaces` io.l5d.k8s namer watches until closed) are closed as soon as every old client of every router, and every router the reload removed, has closed — when the last request bound through them ended —, at the latest after `admin.shutdownGraceMs`. Old and new clients of a name count in one stats scope (see below). |',
  "| `telemetry` | New telemeters; the routers' layers are rebuilt; the old exporters are flushed and closed after the swap. A changed `io.l5d.prometheus` prefix replaces the admin server on the same port. |",
  '| `routers[].client`, `routers[].service` | New policies (io.l5d.static entries included) for requests from now on: service records are made afresh (timeouts, classifiers, retry budgets and backoffs) and names bind again in a new binding cache whose clients (pools, balancers, failure accrual, TLS, protocol) follow the new client policy. Requests in flight finish on the old clients; each old client is closed as soon as no request uses it any more (retries and requeues included), its connections at once, and whatever is still busy after `admin.shutdownGraceMs` is closed then, each connection once its requests completed. Old and new clients of a name count in one stats scope (see below). |',
  '| `routers[].limits` | Layers rebuilt: token buckets and concurrency limits start afresh. |',
  '| `routers[].dstPrefix` | The identifiers are built anew with the new prefix (as on an `identifier` change) and name requests under it from then on; requests in flight keep the name they got. |',
  '| `routers[].bindingTimeoutMs` | Requests from then on wait this long for a name to bind (a request already waiting keeps its deadline); clients and bound names are kept. |',
  '| `routers[].bindingCache` | Names bind again in a new binding cache of the new sizes and idle TTL, with new clients; the old clients finish their requests and close as after a `client` change (each once idle, at the latest after `admin.shutdownGraceMs`). |',
  '| `routers[].interpreter`, `streamingEnabled` | Nothing to do: `default` is the only interpreter and bodies always stream (`false` is refused by the schema), so writing them out or leaving them to their default changes nothing. |',
  '| `httpAccessLog`, `httpAccessLogFormat` | The new log is opened, the old one closed. |',
  '| `routers[].dtabStore` | The new store is opened (its dentries are appended once it answers) and the old one closed; removed, the stored dentries go with it. |',
  '| `admin` | `ip`/`port` changed: the new admin binds first, then the old one closes. `probe`, `security`: the admin is replaced on the same port: the new one takes over the running admin listeners (the port and open connections stay, new requests get its routes; a probe on a new address binds then), so the port never refuses a connection. `shutdownGraceMs`: read when used. Under `--workers` the primary serves the admin port: moving it needs a restart. |',
  "| `workers` | Read by switchyard-ingress. The count (a number or `auto`) applies in a pod (`--workers`/`workers:` above 1): once every worker accepted the reload, the primary starts the extra workers in the lowest free slots (each gets the current config and the relayed Kubernetes snapshots, and counts for the pod's `/admin/ready` once it is ready) or drains the highest slots (stops accepting, requests in flight finish; their counters stay in the pod's metrics). Ignored while `--workers` sets the count; refused in a process started as a single one (restart to run workers). `listen` (`cluster`/`reusePort`): refused, needs a restart (the kernel shares a port only among sockets that all set SO_REUSEPORT, and the cluster primary's socket does not). |",
  '',
  "**Stats while old clients finish.** A client's metrics live under `rt/<router>/client/<id>`, one",
  'scope per bound name, as in Linkerd 1: while an old client finishes its requests after a',
  '`namers`, `client` or `service` change, it and its replacement add to the same counters and',
  "histograms (`requests`, `success`, `failures`, `request_latency_ms`), so a name's series",
  'continues across a reload without a reset or a second series; the gauges (`pending`,',
  "`endpoints`, the balancer's) show the new client only. A retiring client closes as soon as its",
  'last request ended (above), so the window is as long as the slowest request then in flight.',
  '',
  '`/admin/config.json` shows `{version, lastError, config}`: `version` is 1 at start and +1 per',
  'applied reload; `lastError` (`message`, `file` as file:line:column, `at`) is the last failed',
  'reload. Counters `config/reloads/applied`, `config/reloads/unchanged` and `config/reloads/failed`',
  'count the outcomes (summed over workers under `--workers`), and the binary logs',
  '`configuration reloaded` with the changed sections and the version, or the config error',
  'followed by `kept the running configuration`.',
  '',
];
