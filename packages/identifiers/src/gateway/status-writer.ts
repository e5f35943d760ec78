/**
 * Writes the status computed by ./status.ts through the status subresource (JSON merge patch
 * with `metadata.resourceVersion` as a precondition), only while `isLeader()` says so: several
 * replicas serve traffic, one writes. Objects whose status is already right are not written, so
 * our own writes (which come back as watch events) settle at once. Other controllers' entries
 * of an HTTPRoute's or GRPCRoute's `status.parents` are kept.
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
import type { HttpRouteIdentifier } from './identifier-api.js';
import { gatewayClassStatus, gatewayStatus, grpcRouteParents, httpRouteParents } from './status.js';

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
}

/** A running writer. */
export interface GatewayStatusWriter {
  /** Reconcile now (also done after every change of the identifier and every `retryMs`). */
  reconcile(): Promise<void>;
  stop(): void;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Starts writing status for the identifier's objects. */
export function startGatewayStatusWriter(options: GatewayStatusWriterOptions): GatewayStatusWriter {
  const { identifier, client, clock, controllerName } = options;
  const retryMs = options.retryMs ?? 5000;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: TimerHandle | undefined;
  /**
   * What we last wrote, by object, against which resourceVersion: until the watch delivers our
   * own write, the cached object still has the old status, and must not be written again.
   */
  const written = new Map<string, { rv: string | undefined; json: string }>();

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

  async function once(): Promise<void> {
    if (!options.isLeader()) return;
    const state = identifier.state();
    const now = new Date(clock.now()).toISOString();
    let failed = false;
    for (const name of state.ours) {
      const object = state.objects.get(`GatewayClass ${name}`);
      const status = gatewayClassStatus(state, name, now);
      if (object === undefined || status === undefined) continue;
      const current = (object as { status?: { conditions?: unknown } }).status?.conditions;
      if (!same(current, status.conditions))
        failed = !(await write(GATEWAY_CLASS_V1 as ResourceDescriptor<KubeObject>, object, status)) || failed;
    }
    for (const key of state.gateways.keys()) {
      const object = state.objects.get(`Gateway ${key}`);
      const status = gatewayStatus(state, key, now);
      if (object === undefined || status === undefined) continue;
      const current = (object as { status?: Record<string, unknown> }).status ?? {};
      if (!same(current.conditions, status.conditions) || !same(current.listeners, status.listeners))
        failed = !(await write(GATEWAY_V1 as ResourceDescriptor<KubeObject>, object, status)) || failed;
    }
    const routeKinds = [
      ['HTTPRoute', HTTP_ROUTE_V1, state.routes, httpRouteParents],
      ['GRPCRoute', GRPC_ROUTE_V1, state.grpcRoutes, grpcRouteParents],
    ] as const;
    for (const [kind, resource, routes, parentsOf] of routeKinds) {
      for (const key of routes.keys()) {
        const object = state.objects.get(`${kind} ${key}`);
        if (object === undefined) continue;
        const current = ((object as { status?: { parents?: RouteParentStatus[] } }).status?.parents ??
          []) as RouteParentStatus[];
        const ours = parentsOf(state, key, controllerName, now);
        const parents = [...current.filter((p) => p.controllerName !== controllerName), ...ours];
        if (!same(current, parents))
          failed = !(await write(resource as ResourceDescriptor<KubeObject>, object, { parents })) || failed;
      }
    }
    // Failed writes are retried by the periodic reconcile (every retryMs).
    void failed;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      void reconcile().then(() => schedule(retryMs));
    }, ms);
  }

  function reconcile(): Promise<void> {
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

  const unsubscribe = identifier.onChange(() => void reconcile());
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
