/**
 * The identifier's compiled routes, kept route by route so that one HTTPRoute or GRPCRoute change
 * recompiles that route only (its attachment, backends and index entries) and patches the
 * per-listener tables in place, instead of rebuilding every route (about a second at 10 000
 * routes). A change of what every route depends on (a GatewayClass, Gateway, Namespace or
 * ReferenceGrant) recompiles everything; a Service appearing or going recompiles the routes that
 * name it (see {@link createServiceUsers}).
 *
 * HTTPRoutes and GRPCRoutes go through the same code ({@link compileRoute}, one
 * {@link createKindTables} per kind); only the index differs (paths for HTTPRoutes,
 * `/<service>/<method>` for GRPCRoutes). The tables after any sequence of per-route refreshes
 * equal those of one full refresh of the final routes (match.prop.test.ts, both kinds). Longer
 * than ~300 lines because the per-route compilation and the bookkeeping that patches the tables
 * with it are one concept: keeping them apart would expose the compiled form.
 */
import type { Path } from '@switchyard/dtab';
import { type MirrorRecord, ruleMirrors } from './actions.js';
import { attachRoute, isHttpListener, type ParentResult } from './attach.js';
import { type BackendContext, type RuleTarget, ruleTarget } from './backends.js';
import { GatewayProblemError } from './errors.js';
import {
  createMutableGrpcRouteIndex,
  type GrpcIndexEntry,
  type GrpcIndexInput,
  type GrpcRouteIndex,
  type GrpcRouteRecord,
} from './grpc.js';
import type { GatewayRecord, HttpRouteRecord, ObjectInfo } from './model.js';
import { createMutableRouteIndex, type IndexEntry, type IndexInput, type RouteIndex } from './route-index.js';

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

/** A route of either kind. */
type AnyRoute = HttpRouteRecord | GrpcRouteRecord;

/** The index entry of a route's kind, and what the index is given. */
type EntryOf<R extends AnyRoute> = R extends HttpRouteRecord ? IndexEntry : GrpcIndexEntry;
type InputOf<R extends AnyRoute> = R extends HttpRouteRecord ? IndexInput : GrpcIndexInput;

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

/** Filters applied on the response side (by the filters layer, before `identify`). */
const RESPONSE_FILTERS = new Set(['RequestRedirect', 'ResponseHeaderModifier']);

/**
 * Compiles one route of either kind: attachment (parentRefs, allowedRoutes admitting its kind,
 * hostname intersection), then per rule its target and valid mirrors, then one entry per match,
 * indexed under the hostnames it serves on every served listener and on each served port.
 */
export function compileRoute<R extends AnyRoute>(route: R, ctx: RouteContext): Compiled<InputOf<R>> {
  const kind = route.kind;
  const parents = attachRoute(route, ctx.gateways, ctx.namespaces, kind);
  const hosts = servedHostnames(parents, ctx.ports);
  const all: { hostnames: (string | undefined)[]; entry: EntryOf<R> }[] = [];
  const perPort = new Map<number, { hostnames: (string | undefined)[]; entry: EntryOf<R> }[]>();
  let responseFilters = false;
  if (hosts.all.length > 0) {
    for (const rule of route.rules) {
      const target: RuleTarget = ruleTarget(rule, route, ctx.dstPrefix, ctx.backends, kind);
      const mirrors: MirrorRecord[] = ruleMirrors(rule, route.namespace, ctx.dstPrefix, ctx.backends, kind);
      if (rule.filters.some((f) => RESPONSE_FILTERS.has(f.type as string))) responseFilters = true;
      for (let matchIndex = 0; matchIndex < rule.matches.length; matchIndex++) {
        const match = rule.matches[matchIndex]!;
        const entry = (
          mirrors.length > 0
            ? { route, rule, match, matchIndex, target, mirrors }
            : { route, rule, match, matchIndex, target }
        ) as EntryOf<R>;
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
  return { parents, all, perPort, responseFilters } as Compiled<InputOf<R>>;
}

/** What {@link createKindTables} needs of an index (both kinds' mutable indexes have it). */
interface KindIndex<I> {
  update(changes: Iterable<readonly [string, readonly I[] | undefined]>): void;
  dump(): string[];
  readonly size: number;
}

/** The compiled routes of one kind and their tables (every served listener, and per port). */
interface KindTables<R extends AnyRoute, X> {
  refresh(
    ctx: RouteContext,
    routes: ReadonlyMap<string, R | GatewayProblemError>,
    keys: Iterable<string>,
  ): void;
  clear(): void;
  pick(localPort: number | undefined): X | undefined;
  readonly parents: ReadonlyMap<string, readonly ParentResult[]>;
  readonly size: number;
  readonly responseFilterRoutes: number;
  dump(): string[];
}

function createKindTables<R extends AnyRoute, X extends KindIndex<InputOf<R>>>(
  newIndex: () => X,
  ports: ReadonlySet<number> | undefined,
): KindTables<R, X> {
  let all = newIndex();
  let byPort = new Map<number, X>();
  const compiled = new Map<string, Compiled<InputOf<R>>>();
  const parents = new Map<string, readonly ParentResult[]>();
  let responseFilterRoutes = 0;

  function portIndex(port: number): X {
    let index = byPort.get(port);
    if (index === undefined) {
      index = newIndex();
      byPort.set(port, index);
    }
    return index;
  }

  return {
    refresh(ctx, routes, keys) {
      const allChanges: [string, readonly InputOf<R>[] | undefined][] = [];
      const portChanges = new Map<number, [string, readonly InputOf<R>[] | undefined][]>();
      const onPort = (port: number) => {
        let list = portChanges.get(port);
        if (list === undefined) {
          list = [];
          portChanges.set(port, list);
        }
        return list;
      };
      for (const key of keys) {
        const before = compiled.get(key);
        const route = routes.get(key);
        const after =
          route === undefined || route instanceof GatewayProblemError ? undefined : compileRoute(route, ctx);
        if (before !== undefined) {
          compiled.delete(key);
          parents.delete(key);
          if (before.responseFilters) responseFilterRoutes--;
          for (const port of before.perPort.keys())
            if (!after?.perPort.has(port)) onPort(port).push([key, undefined]);
        }
        allChanges.push([key, after?.all]);
        if (after === undefined) continue;
        compiled.set(key, after);
        parents.set(key, after.parents);
        if (after.responseFilters) responseFilterRoutes++;
        for (const [port, inputs] of after.perPort) onPort(port).push([key, inputs]);
      }
      all.update(allChanges);
      for (const [port, changes] of portChanges) portIndex(port).update(changes);
    },
    clear() {
      all = newIndex();
      byPort = new Map();
      compiled.clear();
      parents.clear();
      responseFilterRoutes = 0;
    },
    pick(localPort) {
      if (localPort === undefined) return all;
      const onPort = byPort.get(localPort);
      if (onPort !== undefined && onPort.size > 0) return onPort;
      return ports === undefined ? all : undefined;
    },
    parents,
    get size() {
      return all.size;
    },
    get responseFilterRoutes() {
      return responseFilterRoutes;
    },
    dump() {
      const out = all.dump().map((l) => `* ${l}`);
      for (const port of [...byPort.keys()].sort((a, b) => a - b))
        for (const l of byPort.get(port)!.dump()) out.push(`${port} ${l}`);
      return out;
    },
  };
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
  /** Indexed GRPCRoute entries (hostname, route, rule, match) of every served listener. */
  readonly grpcSize: number;
  /** True when a served rule (either kind) has a `RequestRedirect` or `ResponseHeaderModifier` filter. */
  readonly hasResponseFilters: boolean;
  /** Every table, canonical (tests compare an incremental sequence with a fresh build). */
  dump(): string[];
}

/** Empty tables serving `ports` (`undefined`: every listener port). */
export function createRouteTables(ports: ReadonlySet<number> | undefined): RouteTables {
  const http = createKindTables<HttpRouteRecord, ReturnType<typeof createMutableRouteIndex>>(
    createMutableRouteIndex,
    ports,
  );
  const grpc = createKindTables<GrpcRouteRecord, ReturnType<typeof createMutableGrpcRouteIndex>>(
    createMutableGrpcRouteIndex,
    ports,
  );

  function refresh(
    ctx: RouteContext,
    httpRoutes: ReadonlyMap<string, HttpRouteRecord | GatewayProblemError>,
    grpcRoutes: ReadonlyMap<string, GrpcRouteRecord | GatewayProblemError>,
    changes: RouteChanges,
  ): void {
    if (changes.kind === 'all') {
      http.clear();
      grpc.clear();
      http.refresh(ctx, httpRoutes, httpRoutes.keys());
      grpc.refresh(ctx, grpcRoutes, grpcRoutes.keys());
      return;
    }
    if (changes.http.size > 0) http.refresh(ctx, httpRoutes, changes.http);
    if (changes.grpc.size > 0) grpc.refresh(ctx, grpcRoutes, changes.grpc);
  }

  function dump(): string[] {
    const out = [...http.dump(), ...grpc.dump().map((l) => `grpc ${l}`)];
    const parents = (kind: string, map: ReadonlyMap<string, readonly ParentResult[]>) => {
      for (const key of [...map.keys()].sort())
        out.push(
          `${kind} ${key} ${map
            .get(key)!
            .map((p) => `${p.gateway.key}:${p.reason}`)
            .join(',')}`,
        );
    };
    parents('HTTPRoute', http.parents);
    parents('GRPCRoute', grpc.parents);
    return out;
  }

  return {
    refresh,
    http: (localPort) => http.pick(localPort),
    grpc: (localPort) => grpc.pick(localPort),
    httpParents: http.parents,
    grpcParents: grpc.parents,
    get size() {
      return http.size;
    },
    get grpcSize() {
      return grpc.size;
    },
    get hasResponseFilters() {
      return http.responseFilterRoutes + grpc.responseFilterRoutes > 0;
    },
    dump,
  };
}

/** Everything {@link compileGrpcRoutes} reads. */
export interface GrpcRoutesInput {
  readonly routes: Iterable<GrpcRouteRecord>;
  /** Our Gateways (already filtered by class). */
  readonly gateways: ReadonlyMap<string, GatewayRecord>;
  readonly namespaces: ReadonlyMap<string, ObjectInfo>;
  readonly dstPrefix: Path;
  readonly backends: BackendContext;
  /** Served listener ports (`undefined`: all). */
  readonly ports?: ReadonlySet<number> | undefined;
}

/**
 * The GRPCRoute table of `input.routes` on every served listener, with each route's parent
 * results for status: one full refresh of {@link createRouteTables} (the identifier's own path).
 */
export function compileGrpcRoutes(input: GrpcRoutesInput): {
  readonly index: GrpcRouteIndex;
  readonly parents: ReadonlyMap<string, readonly ParentResult[]>;
} {
  const tables = createRouteTables(input.ports);
  const routes = new Map<string, GrpcRouteRecord>();
  for (const r of input.routes) routes.set(r.key, r);
  const ctx: RouteContext = {
    gateways: input.gateways,
    namespaces: input.namespaces,
    backends: input.backends,
    dstPrefix: input.dstPrefix,
    ports: input.ports,
  };
  tables.refresh(ctx, new Map(), routes, { kind: 'all' });
  return { index: tables.grpc(undefined)!, parents: tables.grpcParents };
}
