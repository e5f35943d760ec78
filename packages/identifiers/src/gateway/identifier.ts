/**
 * `io.l5d.httproute`: names HTTP requests by Gateway API HTTPRoutes attached to our Gateways, so
 * an edge router follows `kubectl apply -f route.yaml`. A rule's backend is named
 * `<dstPrefix>/<namespace>/<port>/<service>` (as `io.l5d.ingress` names it); several weighted
 * backends become a per-request dtab entry the router binds as a weighted union.
 *
 * This module wires a source (Kubernetes API, manifest directory, static list), ownership and
 * attachment, and the compiled tables; a burst of changes updates the tables once, recompiling
 * only the routes that changed (./route-table.ts), never per request. (Longer than ~300 lines: it
 * is one closure owning the object maps and the change sets that the source events, the rebuild and
 * the request path share; its types are ./identifier-api.ts, its decisions ./decide.ts.)
 */
import { channel } from 'node:diagnostics_channel';
import type { Identification, MirrorLimits, RequestHead, Var as VarType } from '@switchyard/core';
import { systemClock, unidentified, Var } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { headerValue, splitTarget } from '../http/request.js';
import { createSyncGate } from '../sync-gate.js';
import { type Ownership, ourClasses } from './attach.js';
import { type DecideContext, decideGrpc, decideHttp } from './decide.js';
import { GatewayConfigError, GatewayProblemError, type GatewaySourceError } from './errors.js';
import { type GrpcIndexEntry, type GrpcRouteRecord, normalizeGrpcRoute } from './grpc.js';
import { requestHostname } from './hostnames.js';
import {
  DEFAULT_GATEWAY_CONTROLLER,
  GATEWAY_PROBLEM_CHANNEL,
  type GatewayChange,
  type GatewayRequestHead,
  HTTPROUTE_KIND,
  type HttpRouteIdentifier,
  type HttpRouteIdentifierOptions,
  NO_ROUTE_MATCHES,
} from './identifier-api.js';
import {
  type GatewayClassRecord,
  type GatewayRecord,
  type HttpRouteRecord,
  normalizeGateway,
  normalizeGatewayClass,
  normalizeHttpRoute,
  normalizeNamespace,
  normalizeReferenceGrant,
  type ObjectInfo,
  type ReferenceGrantRecord,
} from './model.js';
import type { IndexEntry } from './route-index.js';
import { createRouteTables, createServiceUsers, type RouteContext } from './route-table.js';
import {
  type GatewayObjectKind,
  type GatewaySource,
  objectKeyOf,
  sourceHasServices,
  startGatewaySource,
} from './sources.js';
import {
  type GatewayProblem,
  type GatewayState,
  type GatewayTlsSecret,
  type HttpRouteRuleView,
  problemList,
  ruleViews,
  tlsSecretsOf,
} from './state.js';

const problemChannel = channel(GATEWAY_PROBLEM_CHANNEL);

/**
 * What an object's routing depends on: everything but `status` and the bookkeeping metadata
 * (resourceVersion, managedFields, …), so that our own status writes coming back as watch events
 * recompile nothing. (`generation` alone is not enough: it is not bumped for labels, which select
 * Namespaces, and objects from manifests have none.)
 */
function routingFingerprint(o: KubeObject): string {
  const m = o.metadata ?? {};
  return JSON.stringify([(o as { spec?: unknown }).spec, m.labels, m.generation ?? 0, m.creationTimestamp]);
}

/** The same object again (a relist, a resync): same `uid` and `resourceVersion`. */
function revisionOf(o: KubeObject): string | undefined {
  const m = o.metadata ?? {};
  return typeof m.uid === 'string' && typeof m.resourceVersion === 'string'
    ? `${m.uid}@${m.resourceVersion}`
    : undefined;
}

/** A gRPC request: `content-type: application/grpc` or `application/grpc+<codec>` (any case). */
function isGrpc(req: RequestHead): boolean {
  const type = headerValue(req, 'content-type');
  if (type === undefined || type.length < 16) return false;
  const t = type.toLowerCase();
  return t.startsWith('application/grpc') && (t.length === 16 || t[16] === '+' || t[16] === ';');
}

/** The `mirror` option checked (each bound a positive integer, `maxBodyBytes` ≥ 0) and frozen. */
function checkMirrorLimits(limits: MirrorLimits | undefined): MirrorLimits | undefined {
  if (limits === undefined) return undefined;
  const check = (field: keyof MirrorLimits, min: number) => {
    const v = limits[field];
    if (v !== undefined && (!Number.isInteger(v) || v < min))
      throw new GatewayConfigError(`mirror.${field}`, `must be an integer ≥ ${min}, got ${v}`);
  };
  check('maxInFlight', 1);
  check('maxBodyBytes', 0);
  check('timeoutMs', 1);
  return Object.freeze({ ...limits });
}

/**
 * Builds `io.l5d.httproute` and starts its source. See docs/gateway-api.md.
 * @throws {GatewayConfigError} on a bad `dstPrefix`, `ports`, `syncTimeoutMs` or `mirror`.
 */
export function createHttpRouteIdentifier(options: HttpRouteIdentifierOptions = {}): HttpRouteIdentifier {
  let dstPrefix: Path;
  try {
    dstPrefix =
      typeof options.dstPrefix === 'string' ? Path.read(options.dstPrefix) : (options.dstPrefix ?? ['svc']);
  } catch (err) {
    throw new GatewayConfigError('dstPrefix', (err as Error).message, { cause: err });
  }
  const syncTimeoutMs = options.syncTimeoutMs ?? 10_000;
  if (!(syncTimeoutMs >= 0))
    throw new GatewayConfigError('syncTimeoutMs', `must be ≥ 0, got ${syncTimeoutMs}`);
  for (const p of options.ports ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 65535)
      throw new GatewayConfigError('ports', `${p} is not a port number (1–65535)`);
  }
  const ports = options.ports && options.ports.length > 0 ? new Set(options.ports) : undefined;
  const mirrorLimits = checkMirrorLimits(options.mirror);
  const controllerName = options.controllerName ?? DEFAULT_GATEWAY_CONTROLLER;
  const own: Ownership =
    options.gatewayClassName !== undefined
      ? { by: 'gatewayClassName', gatewayClassName: options.gatewayClassName, controllerName }
      : { by: 'controllerName', controllerName };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const source: GatewaySource = options.source ?? { kind: 'kubernetes' };
  const stats = options.stats;
  const identifiedCount = stats?.counter('identified');
  const unidentifiedCount = stats?.counter('unidentified');
  const problemCount = stats?.counter('problems');

  const classes = new Map<string, GatewayClassRecord>();
  const gatewaysAll = new Map<string, GatewayRecord>();
  const routes = new Map<string, HttpRouteRecord | GatewayProblemError>();
  const grpcRoutes = new Map<string, GrpcRouteRecord | GatewayProblemError>();
  const grants = new Map<string, ReferenceGrantRecord>();
  const namespaces = new Map<string, ObjectInfo>();
  /** Existing Services (`namespace/name`), read only from the Kubernetes API. */
  const services: Set<string> | undefined = sourceHasServices(source) ? new Set() : undefined;
  const serviceNamespace = options.namespace;
  const objects = new Map<string, KubeObject>();
  /** What each object's routing depends on, by `<Kind> <key>` (see {@link routingFingerprint}). */
  const fingerprints = new Map<string, string>();
  const fileErrors = new Map<string, GatewaySourceError>();
  const listeners = new Set<(change: GatewayChange) => void>();
  /** What changed since listeners were last told (see {@link GatewayChange}). */
  let statusAll = true;
  let statusRoutes = new Set<string>();
  let statusGateways = new Set<string>();
  let statusGrants = new Set<string>();
  const tls = Var.value<readonly GatewayTlsSecret[]>(Object.freeze([]));
  let tlsJson = '[]';

  /** The compiled routes, patched per changed route (see ./route-table.ts). */
  const tables = createRouteTables(ports);
  /** What changed since the last rebuild: every route (`allChanged`), or these routes. */
  let allChanged = true;
  const changedHttp = new Set<string>();
  const changedGrpc = new Set<string>();
  const serviceUsers = createServiceUsers();
  let gateways = new Map<string, GatewayRecord>();
  let ours: ReadonlySet<string> = new Set();
  const stateNow = (): GatewayState => ({
    classes,
    ours,
    gateways,
    routes,
    parents: tables.httpParents,
    grpcRoutes,
    grpcParents: tables.grpcParents,
    grants,
    objects,
    ports,
    services,
    serviceNamespace,
  });
  let state: GatewayState = stateNow();
  const gauge = stats?.gauge(['routes'], () => tables.size);
  const gate = createSyncGate(clock, syncTimeoutMs);
  let closed = false;

  function publishProblem(p: GatewayProblemError | GatewaySourceError): void {
    problemCount?.incr();
    if (!problemChannel.hasSubscribers) return;
    if (p instanceof GatewayProblemError) {
      problemChannel.publish({ object: p.object, field: p.field, reason: p.reason, error: p });
    } else {
      problemChannel.publish({ file: p.file, reason: p.message, error: p });
    }
  }

  /**
   * Brings the tables up to date: the changed routes only, or (a GatewayClass, Gateway,
   * Namespace or ReferenceGrant changed) every route; then the state views and the TLS list.
   */
  function rebuild(): void {
    const everything = allChanged;
    if (everything) {
      ours = ourClasses(classes.values(), own);
      gateways = new Map();
      for (const [k, g] of gatewaysAll) if (ours.has(g.className)) gateways.set(k, g);
    }
    const ctx: RouteContext = {
      gateways,
      namespaces,
      backends: { grants, services, serviceNamespace },
      dstPrefix,
      ports,
    };
    tables.refresh(
      ctx,
      routes,
      grpcRoutes,
      everything ? { kind: 'all' } : { kind: 'some', http: changedHttp, grpc: changedGrpc },
    );
    allChanged = false;
    changedHttp.clear();
    changedGrpc.clear();
    state = stateNow();
    // Certificates come from Gateways and grants only: a route change cannot change them.
    if (everything) {
      const secrets = tlsSecretsOf(state);
      const json = JSON.stringify(secrets);
      if (json !== tlsJson) {
        tlsJson = json;
        tls.update(Object.freeze(secrets));
      }
    }
    const change: GatewayChange = statusAll
      ? { kind: 'all' }
      : { kind: 'some', routes: statusRoutes, gateways: statusGateways, grantNamespaces: statusGrants };
    statusAll = false;
    statusRoutes = new Set();
    statusGateways = new Set();
    statusGrants = new Set();
    for (const l of listeners) l(change);
  }

  let scheduled = false;
  function changed(): void {
    if (!gate.isSynced || scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      if (!closed) rebuild();
    });
  }

  /** A Service appeared or went: the routes naming it change (their backends, their status). */
  function serviceChanged(key: string): void {
    for (const id of serviceUsers.of(key)) {
      statusRoutes.add(id);
      const space = id.indexOf(' ');
      (id.slice(0, space) === 'HTTPRoute' ? changedHttp : changedGrpc).add(id.slice(space + 1));
    }
    changed();
  }

  /** Records what a changed object means for status (see {@link GatewayChange}). */
  function noteStatusChange(kind: Exclude<GatewayObjectKind, 'Service'>, key: string): void {
    if (kind === 'HTTPRoute' || kind === 'GRPCRoute') statusRoutes.add(`${kind} ${key}`);
    else if (kind === 'Gateway') statusGateways.add(key);
    else if (kind === 'ReferenceGrant') statusGrants.add(key.slice(0, key.indexOf('/')));
    else statusAll = true;
  }

  function upsert(kind: GatewayObjectKind, object: KubeObject): void {
    if (closed) return;
    const key = objectKeyOf(kind, object);
    if (kind === 'Service') {
      // Only existence matters: a Service's own changes (ports, selectors) change no route.
      if (services === undefined || services.has(key)) return;
      services.add(key);
      serviceChanged(key);
      return;
    }
    const id = `${kind} ${key}`;
    const revision = revisionOf(object);
    const before = objects.get(id);
    if (revision !== undefined && before !== undefined && revisionOf(before) === revision) return;
    objects.set(id, object);
    // A change of status only (our own writes come back as watch events) changes neither routing
    // nor the status we compute: nothing to recompile.
    const fingerprint = routingFingerprint(object);
    if (fingerprints.get(id) === fingerprint) return;
    fingerprints.set(id, fingerprint);
    noteStatusChange(kind, key);
    switch (kind) {
      case 'GatewayClass':
        classes.set(key, normalizeGatewayClass(object));
        allChanged = true;
        break;
      case 'Gateway':
        gatewaysAll.set(key, normalizeGateway(object));
        allChanged = true;
        break;
      case 'HTTPRoute': {
        const record = normalizeHttpRoute(object);
        const previous = routes.get(key);
        routes.set(key, record);
        changedHttp.add(key);
        serviceUsers.set(id, record instanceof GatewayProblemError ? undefined : record);
        if (
          record instanceof GatewayProblemError &&
          !(previous instanceof GatewayProblemError && previous.message === record.message)
        )
          publishProblem(record);
        break;
      }
      case 'GRPCRoute': {
        const record = normalizeGrpcRoute(object);
        const previous = grpcRoutes.get(key);
        grpcRoutes.set(key, record);
        changedGrpc.add(key);
        serviceUsers.set(id, record instanceof GatewayProblemError ? undefined : record);
        if (
          record instanceof GatewayProblemError &&
          !(previous instanceof GatewayProblemError && previous.message === record.message)
        )
          publishProblem(record);
        break;
      }
      case 'ReferenceGrant':
        grants.set(key, normalizeReferenceGrant(object));
        allChanged = true;
        break;
      case 'Namespace':
        namespaces.set(key, normalizeNamespace(object));
        allChanged = true;
        break;
      default: {
        const never: never = kind;
        throw new TypeError(`unknown kind ${String(never)}`);
      }
    }
    changed();
  }

  function remove(kind: GatewayObjectKind, key: string): void {
    if (closed) return;
    if (kind === 'Service') {
      if (services?.delete(key)) serviceChanged(key);
      return;
    }
    const maps: Record<Exclude<GatewayObjectKind, 'Service'>, Map<string, unknown>> = {
      GatewayClass: classes,
      Gateway: gatewaysAll,
      HTTPRoute: routes,
      GRPCRoute: grpcRoutes,
      ReferenceGrant: grants,
      Namespace: namespaces,
    };
    if (!maps[kind].delete(key)) return;
    noteStatusChange(kind, key);
    objects.delete(`${kind} ${key}`);
    fingerprints.delete(`${kind} ${key}`);
    if (kind === 'HTTPRoute' || kind === 'GRPCRoute') serviceUsers.set(`${kind} ${key}`, undefined);
    if (kind === 'HTTPRoute') changedHttp.add(key);
    else if (kind === 'GRPCRoute') changedGrpc.add(key);
    else allChanged = true;
    changed();
  }

  const running = startGatewaySource(
    source,
    {
      upsert,
      remove,
      synced() {
        if (closed || !gate.open()) return;
        rebuild();
      },
      fileError(file, error) {
        if (error === undefined) {
          fileErrors.delete(file);
          return;
        }
        const previous = fileErrors.get(file);
        fileErrors.set(file, error);
        if (previous?.message !== error.message) publishProblem(error);
      },
    },
    { ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), clock },
  );

  function hostAndPath(req: RequestHead): [string, string] {
    return [requestHostname(headerValue(req, 'host')), splitTarget(req.url).path];
  }

  /** The HTTPRoutes a request may match: those of listeners on its arrival port (see `ports`). */
  function match(req: GatewayRequestHead): IndexEntry | undefined {
    const [host, path] = hostAndPath(req);
    return tables.http(req.localPort)?.match(host, path, req);
  }

  function matchGrpc(req: GatewayRequestHead): GrpcIndexEntry | undefined {
    if (!isGrpc(req)) return undefined;
    const [host, path] = hostAndPath(req);
    return tables.grpc(req.localPort)?.match(host, path, req);
  }

  const decisions: DecideContext = {
    random,
    mirrorLimits,
    identified: identifiedCount,
    unidentified: unidentifiedCount,
  };

  function decide(req: RequestHead): Identification<RequestHead> {
    // A gRPC call is matched against GRPCRoutes first; one no GRPCRoute takes is an HTTP request.
    const grpcEntry = tables.grpcParents.size > 0 ? matchGrpc(req) : undefined;
    if (grpcEntry !== undefined) return decideGrpc(decisions, req, grpcEntry);
    const entry = match(req);
    if (entry === undefined) {
      unidentifiedCount?.incr();
      return unidentified(NO_ROUTE_MATCHES, 404);
    }
    return decideHttp(decisions, req, entry);
  }

  const identify = async (req: RequestHead): Promise<Identification<RequestHead>> => {
    if (!gate.isSynced && !(await gate.wait())) {
      unidentifiedCount?.incr();
      return unidentified('Gateway API routes are not loaded yet', 503);
    }
    return decide(req);
  };

  const rules = (): readonly HttpRouteRuleView[] => ruleViews(state, dstPrefix);
  const problems = (): readonly GatewayProblem[] =>
    problemList(fileErrors.values(), [...routes.values(), ...grpcRoutes.values()]);

  const props: PropertyDescriptorMap = {
    kind: { value: HTTPROUTE_KIND, enumerable: true },
    synced: { value: gate.synced, enumerable: true },
    isSynced: { get: () => gate.isSynced, enumerable: true },
    hasResponseFilters: { get: () => tables.hasResponseFilters, enumerable: true },
    match: { value: match },
    matchGrpc: { value: matchGrpc },
    dump: { value: () => tables.dump() },
    rules: { value: rules },
    problems: { value: problems },
    state: { value: () => state },
    tlsSecrets: { value: tls as VarType<readonly GatewayTlsSecret[]>, enumerable: true },
    kube: { value: running.kube },
    onChange: {
      value: (l: (change: GatewayChange) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    close: {
      value: () => {
        if (closed) return;
        closed = true;
        running.stop();
        gauge?.dispose();
      },
    },
  };
  return Object.defineProperties(identify, props) as HttpRouteIdentifier;
}
