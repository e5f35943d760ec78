/**
 * Writes the status computed by ./status.ts through the status subresource (JSON merge patch
 * with `metadata.resourceVersion` as a precondition), only while `isLeader()` says so: several
 * replicas serve traffic, one writes. Objects whose status is already right are not written, so
 * our own writes (which come back as watch events) settle at once. Other controllers' entries
 * of an HTTPRoute's or GRPCRoute's `status.parents` are kept. Each change of the identifier
 * recomputes only the objects it can affect (see {@link startGatewayStatusWriter}), so one route
 * change at 10 000 routes costs that route and its Gateway, not every route.
 */
import { channel } from 'node:diagnostics_channel';
import type { Clock, TimerHandle } from '@switchyard/core';
import {
  GATEWAY_CLASS_V1,
  GATEWAY_V1,
  GRPC_ROUTE_V1,
  HTTP_ROUTE_V1,
  type KubeClient,
  type KubeObject,
  type ResourceDescriptor,
  type RouteParentStatus,
} from '@switchyard/k8s';
import { GatewayStatusError } from './errors.js';
import type { GatewayChange, HttpRouteIdentifier } from './identifier-api.js';
import { gatewayClassStatus, gatewayStatus, grpcRouteParents, httpRouteParents } from './status.js';
import { createRelation, foreignNamespaces, gatewaysNamed } from './status-deps.js';

/** Published on `switchyard:identifiers:gatewayStatus` after each write: `{ object, ok, error? }`. */
export const GATEWAY_STATUS_CHANNEL = 'switchyard:identifiers:gatewayStatus';
const statusChannel = channel(GATEWAY_STATUS_CHANNEL);

/** Options of {@link startGatewayStatusWriter}. */
export interface GatewayStatusWriterOptions {
  readonly identifier: HttpRouteIdentifier;
  readonly client: KubeClient;
  /** Writes happen only while this returns true (leader election is the caller's). */
  readonly isLeader: () => boolean;
  /** Our `controllerName`, written in route `status.parents[].controllerName`. */
  readonly controllerName: string;
  readonly clock: Clock;
  /** Retry after a failed write, and re-check leadership, every this many ms. Default 5000. */
  readonly retryMs?: number;
  /**
   * Recompute every object's status this often, ms (status edited by someone else is put back).
   * Default 300 000.
   */
  readonly resyncMs?: number;
}

/** A running writer. */
export interface GatewayStatusWriter {
  /**
   * Recompute and write every object's status now (done at the first sync; a new leader calls
   * it). Changes of the identifier are written as they come, each recomputing only what it can
   * affect; failed writes are retried every `retryMs`.
   */
  reconcile(): Promise<void>;
  stop(): void;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Starts writing status for the identifier's objects. After the first full pass only what a
 * change can affect is recomputed: a changed route, and the Gateways it named before and names
 * now (their `attachedRoutes`); a changed Gateway and the routes naming it; for a changed
 * ReferenceGrant, the routes with backends in its namespace and every Gateway (certificateRefs);
 * a GatewayClass or Namespace change, or `reconcile()`, recomputes everything. An object whose
 * computed status equals its current one (or the one last written at its resourceVersion) is not
 * written.
 */
export function startGatewayStatusWriter(options: GatewayStatusWriterOptions): GatewayStatusWriter {
  const { identifier, client, clock, controllerName } = options;
  const retryMs = options.retryMs ?? 5000;
  const resyncMs = options.resyncMs ?? 300_000;
  let lastFull = clock.now();
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: TimerHandle | undefined;
  /**
   * What we last wrote, by object, against which resourceVersion: until the watch delivers our
   * own write, the cached object still has the old status, and must not be written again.
   */
  const written = new Map<string, { rv: string | undefined; json: string }>();
  /** Routes (`<Kind> ns/name`) by the Gateways they name, and by the foreign namespaces they name. */
  const routeGateways = createRelation();
  const routeNamespaces = createRelation();
  /** What is left to compute: everything, or these. Failed writes are put back. */
  let pendingAll = true;
  const pendingRoutes = new Set<string>();
  const pendingGateways = new Set<string>();
  /** Gateways whose own status only is to be recomputed (a ReferenceGrant: certificateRefs). */
  const pendingGatewayStatus = new Set<string>();

  async function write(
    resource: ResourceDescriptor<KubeObject>,
    object: KubeObject,
    status: Record<string, unknown>,
  ): Promise<boolean> {
    const name = object.metadata.name ?? '';
    const namespace = object.metadata.namespace;
    const label = `${resource.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    // Timestamps aside: recomputed against a stale object, they are "now" again.
    const json = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
    const rv = object.metadata.resourceVersion;
    const last = written.get(label);
    if (last !== undefined && last.rv === rv && last.json === json) return true;
    try {
      await client.patchStatus(resource, namespace, name, {
        metadata: { resourceVersion: object.metadata.resourceVersion },
        status,
      });
      written.set(label, { rv, json });
      if (statusChannel.hasSubscribers) statusChannel.publish({ object: label, ok: true });
      return true;
    } catch (cause) {
      const error = new GatewayStatusError(label, { cause });
      if (statusChannel.hasSubscribers) statusChannel.publish({ object: label, ok: false, error });
      return false;
    }
  }

  /** Takes in a change: what it makes pending. */
  function note(change: GatewayChange): void {
    if (change.kind === 'all') {
      pendingAll = true;
      return;
    }
    for (const id of change.routes) pendingRoutes.add(id);
    for (const g of change.gateways) pendingGateways.add(g);
    for (const ns of change.grantNamespaces) {
      for (const id of routeNamespaces.to(ns)) pendingRoutes.add(id);
      // certificateRefs across namespaces: any Gateway's listeners may change.
      for (const g of identifier.state().gateways.keys()) pendingGatewayStatus.add(g);
    }
  }

  async function once(): Promise<void> {
    if (!options.isLeader()) return;
    const state = identifier.state();
    const now = new Date(clock.now()).toISOString();
    const all = pendingAll;
    const routeIds = new Set(pendingRoutes);
    const gatewayKeys = new Set(pendingGateways);
    const gatewaysOnly = [...pendingGatewayStatus];
    pendingAll = false;
    pendingRoutes.clear();
    pendingGateways.clear();
    pendingGatewayStatus.clear();
    if (all) {
      for (const key of state.routes.keys()) routeIds.add(`HTTPRoute ${key}`);
      for (const key of state.grpcRoutes.keys()) routeIds.add(`GRPCRoute ${key}`);
      for (const key of state.gateways.keys()) gatewayKeys.add(key);
    } else {
      // A changed Gateway: the routes naming it.
      for (const g of gatewayKeys) for (const id of routeGateways.to(g)) routeIds.add(id);
    }
    for (const g of gatewaysOnly) gatewayKeys.add(g);
    // A changed route: the Gateways it named (before) and names (now) recount attachedRoutes.
    for (const id of routeIds) {
      const space = id.indexOf(' ');
      const kind = id.slice(0, space);
      const key = id.slice(space + 1);
      for (const g of routeGateways.of(id)) gatewayKeys.add(g);
      const routes = kind === 'HTTPRoute' ? state.routes : state.grpcRoutes;
      const object = routes.has(key) ? state.objects.get(id) : undefined;
      const named = gatewaysNamed(object, key.slice(0, key.indexOf('/')));
      routeGateways.set(id, named);
      routeNamespaces.set(id, foreignNamespaces(routes.get(key)));
      for (const g of named) gatewayKeys.add(g);
    }

    if (all) {
      for (const name of state.ours) {
        const object = state.objects.get(`GatewayClass ${name}`);
        const status = gatewayClassStatus(state, name, now);
        if (object === undefined || status === undefined) continue;
        const current = (object as { status?: { conditions?: unknown } }).status?.conditions;
        if (
          !same(current, status.conditions) &&
          !(await write(GATEWAY_CLASS_V1 as ResourceDescriptor<KubeObject>, object, status))
        )
          pendingAll = true;
      }
    }
    for (const key of gatewayKeys) {
      const object = state.objects.get(`Gateway ${key}`);
      const status = state.gateways.has(key) ? gatewayStatus(state, key, now) : undefined;
      if (object === undefined || status === undefined) continue;
      const current = (object as { status?: Record<string, unknown> }).status ?? {};
      if (
        (!same(current.conditions, status.conditions) || !same(current.listeners, status.listeners)) &&
        !(await write(GATEWAY_V1 as ResourceDescriptor<KubeObject>, object, status))
      )
        pendingGatewayStatus.add(key);
    }
    for (const id of routeIds) {
      const space = id.indexOf(' ');
      const kind = id.slice(0, space) as 'HTTPRoute' | 'GRPCRoute';
      const key = id.slice(space + 1);
      const routes = kind === 'HTTPRoute' ? state.routes : state.grpcRoutes;
      if (!routes.has(key)) continue;
      const object = state.objects.get(id);
      if (object === undefined) continue;
      const current = ((object as { status?: { parents?: RouteParentStatus[] } }).status?.parents ??
        []) as RouteParentStatus[];
      const ours = (kind === 'HTTPRoute' ? httpRouteParents : grpcRouteParents)(
        state,
        key,
        controllerName,
        now,
      );
      const parents = [...current.filter((p) => p.controllerName !== controllerName), ...ours];
      const resource = kind === 'HTTPRoute' ? HTTP_ROUTE_V1 : GRPC_ROUTE_V1;
      if (
        !same(current, parents) &&
        !(await write(resource as ResourceDescriptor<KubeObject>, object, { parents }))
      )
        pendingRoutes.add(id);
    }
  }

  /** Runs `once` until nothing new arrived meanwhile. */
  function run(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await once();
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  function reconcile(): Promise<void> {
    pendingAll = true;
    lastFull = clock.now();
    return run();
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      void (clock.now() - lastFull >= resyncMs ? reconcile() : run()).then(() => schedule(retryMs));
    }, ms);
  }

  const unsubscribe = identifier.onChange((change) => {
    note(change);
    void run();
  });
  void identifier.synced.then(() => reconcile());
  schedule(retryMs);
  return {
    reconcile,
    stop: () => {
      stopped = true;
      unsubscribe();
      if (timer) clock.clearTimeout(timer);
    },
  };
}
