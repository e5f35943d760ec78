/**
 * The identifier's compiled routes, kept route by route so that one HTTPRoute or GRPCRoute change
 * recompiles that route only (its attachment, backends and index entries) and patches the
 * per-listener tables in place, instead of rebuilding every route (about a second at 10 000
 * routes). A change of what every route depends on (a GatewayClass, Gateway, Namespace or
 * ReferenceGrant) recompiles everything; a Service appearing or going recompiles the routes that
 * name it (see {@link createServiceUsers}).
 *
 * The tables after any sequence of per-route refreshes equal those of one full refresh of the
 * final routes (match.prop.test.ts). Longer than ~300 lines because the per-route compilation and
 * the bookkeeping that patches the tables with it are one concept: keeping them apart would expose
 * the compiled form.
 */
import type { Path } from '@switchyard/dtab';
import { ruleMirrors } from './actions.js';
import { attachRoute, isHttpListener, type ParentResult } from './attach.js';
import { type BackendContext, ruleTarget } from './backends.js';
import { GatewayProblemError } from './errors.js';
import {
  buildGrpcRouteIndex,
  type GrpcIndexEntry,
  type GrpcRouteIndex,
  type GrpcRouteRecord,
} from './grpc.js';
import type { GatewayRecord, HttpRouteRecord, ObjectInfo } from './model.js';
import {
  createMutableRouteIndex,
  type IndexEntry,
  type IndexInput,
  type MutableRouteIndex,
  type RouteIndex,
} from './route-index.js';

/** What every route's compilation reads besides the route. */
export interface RouteContext {
  /** Our Gateways (already filtered by class). */
  readonly gateways: ReadonlyMap<string, GatewayRecord>;
  readonly namespaces: ReadonlyMap<string, ObjectInfo>;
  readonly backends: BackendContext;
  readonly dstPrefix: Path;
  /** Served listener ports (`undefined`: all). */
  readonly ports: ReadonlySet<number> | undefined;
}

interface GrpcInput {
  readonly hostnames: readonly (string | undefined)[];
  readonly entry: GrpcIndexEntry;
}

/** One route, compiled: its parents (for status) and its entries, for all served ports and per port. */
interface Compiled<I> {
  readonly parents: readonly ParentResult[];
  readonly all: readonly I[];
  readonly perPort: ReadonlyMap<number, readonly I[]>;
  readonly responseFilters: boolean;
}

/** The hostnames a route serves on all served listeners, and on each served port. */
function servedHostnames(
  results: readonly ParentResult[],
  ports: ReadonlySet<number> | undefined,
): { all: (string | undefined)[]; perPort: Map<number, (string | undefined)[]> } {
  const all = new Set<string | undefined>();
  const perPort = new Map<number, Set<string | undefined>>();
  for (const r of results) {
    for (const a of r.attachments) {
      if (ports !== undefined && !ports.has(a.listener.port)) continue;
      if (!isHttpListener(a.listener)) continue;
      let onPort = perPort.get(a.listener.port);
      if (onPort === undefined) {
        onPort = new Set();
        perPort.set(a.listener.port, onPort);
      }
      for (const h of a.hostnames) {
        all.add(h);
        onPort.add(h);
      }
    }
  }
  return { all: [...all], perPort: new Map([...perPort].map(([p, s]) => [p, [...s]])) };
}

function compileHttp(route: HttpRouteRecord, ctx: RouteContext): Compiled<IndexInput> {
  const parents = attachRoute(route, ctx.gateways, ctx.namespaces);
  const hosts = servedHostnames(parents, ctx.ports);
  const all: IndexInput[] = [];
  const perPort = new Map<number, IndexInput[]>();
  let responseFilters = false;
  if (hosts.all.length > 0) {
    for (const rule of route.rules) {
      const target = ruleTarget(rule, route, ctx.dstPrefix, ctx.backends);
      const mirrors = ruleMirrors(rule, route.namespace, ctx.dstPrefix, ctx.backends);
      if (rule.filters.some((f) => f.type === 'RequestRedirect' || f.type === 'ResponseHeaderModifier'))
        responseFilters = true;
      for (let matchIndex = 0; matchIndex < rule.matches.length; matchIndex++) {
        const match = rule.matches[matchIndex]!;
        const entry: IndexEntry =
          mirrors.length > 0
            ? { route, rule, match, matchIndex, target, mirrors }
            : { route, rule, match, matchIndex, target };
        all.push({ hostnames: hosts.all, entry });
        for (const [port, hostnames] of hosts.perPort) {
          let list = perPort.get(port);
          if (list === undefined) {
            list = [];
            perPort.set(port, list);
          }
          list.push({ hostnames, entry });
        }
      }
    }
  }
  return { parents, all, perPort, responseFilters };
}

function compileGrpc(route: GrpcRouteRecord, ctx: RouteContext): Compiled<GrpcInput> {
  const parents = attachRoute(route, ctx.gateways, ctx.namespaces, 'GRPCRoute');
  const hosts = servedHostnames(parents, ctx.ports);
  const all: GrpcInput[] = [];
  const perPort = new Map<number, GrpcInput[]>();
  if (hosts.all.length > 0) {
    for (const rule of route.rules) {
      const target = ruleTarget(rule, route, ctx.dstPrefix, ctx.backends, 'GRPCRoute');
      for (let matchIndex = 0; matchIndex < rule.matches.length; matchIndex++) {
        const entry: GrpcIndexEntry = { route, rule, match: rule.matches[matchIndex]!, matchIndex, target };
        all.push({ hostnames: hosts.all, entry });
        for (const [port, hostnames] of hosts.perPort) {
          let list = perPort.get(port);
          if (list === undefined) {
            list = [];
            perPort.set(port, list);
          }
          list.push({ hostnames, entry });
        }
      }
    }
  }
  return { parents, all, perPort, responseFilters: false };
}

/** The Services (`namespace/name`) a route names in its backendRefs and `RequestMirror` filters. */
export function servicesNamedBy(route: HttpRouteRecord | GrpcRouteRecord): Set<string> {
  const out = new Set<string>();
  for (const rule of route.rules) {
    for (const ref of rule.backendRefs) out.add(`${ref.namespace}/${ref.name}`);
    for (const f of rule.filters) {
      if (f.type !== 'RequestMirror') continue;
      const ref = (f.requestMirror as { backendRef?: { name?: unknown; namespace?: unknown } } | undefined)
        ?.backendRef;
      if (ref === undefined || typeof ref.name !== 'string') continue;
      out.add(`${typeof ref.namespace === 'string' ? ref.namespace : route.namespace}/${ref.name}`);
    }
  }
  return out;
}

/**
 * Which routes name which Service, so that a Service appearing or going recompiles those routes
 * only. Keys are route ids (`HTTPRoute ns/name`, `GRPCRoute ns/name`).
 */
export interface ServiceUsers {
  /** Records what `routeId` names now (`undefined`: the route is gone or malformed). */
  set(routeId: string, route: HttpRouteRecord | GrpcRouteRecord | undefined): void;
  /** The ids of the routes naming `service`. */
  of(service: string): ReadonlySet<string>;
}

/** An empty {@link ServiceUsers}. */
export function createServiceUsers(): ServiceUsers {
  const byRoute = new Map<string, Set<string>>();
  const byService = new Map<string, Set<string>>();
  const none: ReadonlySet<string> = new Set();
  return {
    set(routeId, route) {
      for (const svc of byRoute.get(routeId) ?? []) {
        const users = byService.get(svc);
        users?.delete(routeId);
        if (users?.size === 0) byService.delete(svc);
      }
      byRoute.delete(routeId);
      if (route === undefined) return;
      const named = servicesNamedBy(route);
      byRoute.set(routeId, named);
      for (const svc of named) {
        let users = byService.get(svc);
        if (users === undefined) {
          users = new Set();
          byService.set(svc, users);
        }
        users.add(routeId);
      }
    },
    of: (service) => byService.get(service) ?? none,
  };
}

/** Which routes to recompile: every route, or the keys of changed ones of each kind. */
export type RouteChanges =
  | { readonly kind: 'all' }
  | { readonly kind: 'some'; readonly http: ReadonlySet<string>; readonly grpc: ReadonlySet<string> };

/** The compiled tables. */
export interface RouteTables {
  /** Recompiles the changed routes (or all) against `ctx` and patches the tables. */
  refresh(
    ctx: RouteContext,
    http: ReadonlyMap<string, HttpRouteRecord | GatewayProblemError>,
    grpc: ReadonlyMap<string, GrpcRouteRecord | GatewayProblemError>,
    changes: RouteChanges,
  ): void;
  /**
   * The HTTPRoute table for a request that arrived on `localPort`: the listeners on that port's,
   * or (no port told, or no route on it and `ports` not set) every served listener's.
   */
  http(localPort: number | undefined): RouteIndex | undefined;
  /** The GRPCRoute table, chosen as {@link RouteTables.http}'s. */
  grpc(localPort: number | undefined): GrpcRouteIndex | undefined;
  /** Parent results of each valid HTTPRoute / GRPCRoute, for status. */
  readonly httpParents: ReadonlyMap<string, readonly ParentResult[]>;
  readonly grpcParents: ReadonlyMap<string, readonly ParentResult[]>;
  /** Indexed HTTPRoute entries (hostname, route, rule, match) of every served listener. */
  readonly size: number;
  /** True when a served rule has a `RequestRedirect` or `ResponseHeaderModifier` filter. */
  readonly hasResponseFilters: boolean;
  /** Every table, canonical (tests compare an incremental sequence with a fresh build). */
  dump(): string[];
}

/** Empty tables serving `ports` (`undefined`: every listener port). */
export function createRouteTables(ports: ReadonlySet<number> | undefined): RouteTables {
  let all: MutableRouteIndex = createMutableRouteIndex();
  let byPort = new Map<number, MutableRouteIndex>();
  const http = new Map<string, Compiled<IndexInput>>();
  const grpc = new Map<string, Compiled<GrpcInput>>();
  const httpParents = new Map<string, readonly ParentResult[]>();
  const grpcParents = new Map<string, readonly ParentResult[]>();
  let grpcAll: GrpcRouteIndex = buildGrpcRouteIndex([]);
  let grpcByPort = new Map<number, GrpcRouteIndex>();
  let responseFilterRoutes = 0;

  function portIndex(port: number): MutableRouteIndex {
    let index = byPort.get(port);
    if (index === undefined) {
      index = createMutableRouteIndex();
      byPort.set(port, index);
    }
    return index;
  }

  function refreshHttp(
    ctx: RouteContext,
    routes: ReadonlyMap<string, HttpRouteRecord | GatewayProblemError>,
    keys: Iterable<string>,
  ): void {
    const allChanges: [string, readonly IndexInput[] | undefined][] = [];
    const portChanges = new Map<number, [string, readonly IndexInput[] | undefined][]>();
    const onPort = (port: number) => {
      let list = portChanges.get(port);
      if (list === undefined) {
        list = [];
        portChanges.set(port, list);
      }
      return list;
    };
    for (const key of keys) {
      const before = http.get(key);
      const route = routes.get(key);
      const after =
        route === undefined || route instanceof GatewayProblemError ? undefined : compileHttp(route, ctx);
      if (before !== undefined) {
        http.delete(key);
        httpParents.delete(key);
        if (before.responseFilters) responseFilterRoutes--;
        for (const port of before.perPort.keys())
          if (!after?.perPort.has(port)) onPort(port).push([key, undefined]);
      }
      allChanges.push([key, after?.all]);
      if (after === undefined) continue;
      http.set(key, after);
      httpParents.set(key, after.parents);
      if (after.responseFilters) responseFilterRoutes++;
      for (const [port, inputs] of after.perPort) onPort(port).push([key, inputs]);
    }
    all.update(allChanges);
    for (const [port, changes] of portChanges) portIndex(port).update(changes);
  }

  function refreshGrpc(
    ctx: RouteContext,
    routes: ReadonlyMap<string, GrpcRouteRecord | GatewayProblemError>,
    keys: Iterable<string>,
  ): void {
    for (const key of keys) {
      grpc.delete(key);
      grpcParents.delete(key);
      const route = routes.get(key);
      if (route === undefined || route instanceof GatewayProblemError) continue;
      const compiled = compileGrpc(route, ctx);
      grpc.set(key, compiled);
      grpcParents.set(key, compiled.parents);
    }
    // GRPCRoute tables are rebuilt from the compiled routes (each route is compiled once).
    const compiled = [...grpc.values()];
    grpcAll = buildGrpcRouteIndex(compiled.flatMap((c) => c.all));
    const ports = new Set(compiled.flatMap((c) => [...c.perPort.keys()]));
    grpcByPort = new Map(
      [...ports].map((p) => [p, buildGrpcRouteIndex(compiled.flatMap((c) => c.perPort.get(p) ?? []))]),
    );
  }

  function refresh(
    ctx: RouteContext,
    httpRoutes: ReadonlyMap<string, HttpRouteRecord | GatewayProblemError>,
    grpcRoutes: ReadonlyMap<string, GrpcRouteRecord | GatewayProblemError>,
    changes: RouteChanges,
  ): void {
    if (changes.kind === 'all') {
      all = createMutableRouteIndex();
      byPort = new Map();
      http.clear();
      httpParents.clear();
      grpc.clear();
      grpcParents.clear();
      responseFilterRoutes = 0;
      refreshHttp(ctx, httpRoutes, httpRoutes.keys());
      refreshGrpc(ctx, grpcRoutes, grpcRoutes.keys());
      return;
    }
    if (changes.http.size > 0) refreshHttp(ctx, httpRoutes, changes.http);
    if (changes.grpc.size > 0) refreshGrpc(ctx, grpcRoutes, changes.grpc);
  }

  function pick<T extends { readonly size: number }>(
    whole: T,
    perPort: ReadonlyMap<number, T>,
    localPort: number | undefined,
  ): T | undefined {
    if (localPort === undefined) return whole;
    const onPort = perPort.get(localPort);
    if (onPort !== undefined && onPort.size > 0) return onPort;
    return ports === undefined ? whole : undefined;
  }

  function dump(): string[] {
    const out = all.dump().map((l) => `* ${l}`);
    for (const port of [...byPort.keys()].sort((a, b) => a - b))
      for (const l of byPort.get(port)!.dump()) out.push(`${port} ${l}`);
    const grpcLine = (c: Compiled<GrpcInput>) =>
      c.all.map(
        (i) =>
          `${i.hostnames.map((h) => h ?? '*').join(',')} ${i.entry.route.key}#${i.entry.rule.index}.${i.entry.matchIndex} -> ${
            i.entry.target.kind === 'error' ? '500' : `/${i.entry.target.path.join('/')}`
          }`,
      );
    for (const key of [...grpc.keys()].sort())
      for (const l of grpcLine(grpc.get(key)!)) out.push(`grpc ${l}`);
    const parents = (kind: string, map: ReadonlyMap<string, readonly ParentResult[]>) => {
      for (const key of [...map.keys()].sort())
        out.push(
          `${kind} ${key} ${map
            .get(key)!
            .map((p) => `${p.gateway.key}:${p.reason}`)
            .join(',')}`,
        );
    };
    parents('HTTPRoute', httpParents);
    parents('GRPCRoute', grpcParents);
    return out;
  }

  return {
    refresh,
    http: (localPort) => pick<RouteIndex>(all, byPort, localPort),
    grpc: (localPort) => pick(grpcAll, grpcByPort, localPort),
    httpParents,
    grpcParents,
    get size() {
      return all.size;
    },
    get hasResponseFilters() {
      return responseFilterRoutes > 0;
    },
    dump,
  };
}
