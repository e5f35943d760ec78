/**
 * What a route's status depends on besides itself, for the status writer's incremental passes:
 * the Gateways its `parentRefs` name and the foreign namespaces its backends name, kept as
 * two-way indexes so that a Gateway or ReferenceGrant change finds its routes without a scan.
 */
import type { KubeObject } from '@switchyard/k8s';
import { GatewayProblemError } from './errors.js';
import type { GrpcRouteRecord } from './grpc.js';
import type { HttpRouteRecord } from './model.js';
import { servicesNamedBy } from './route-table.js';

/** Gateway keys (`ns/name`) a route's raw `spec.parentRefs` name (kind Gateway). */
export function gatewaysNamed(object: KubeObject | undefined, routeNamespace: string): Set<string> {
  const out = new Set<string>();
  const refs = (object as { spec?: { parentRefs?: unknown } } | undefined)?.spec?.parentRefs;
  if (!Array.isArray(refs)) return out;
  for (const r of refs) {
    if (typeof r !== 'object' || r === null) continue;
    const ref = r as { name?: unknown; namespace?: unknown; kind?: unknown };
    if (typeof ref.name !== 'string' || (ref.kind !== undefined && ref.kind !== 'Gateway')) continue;
    out.add(`${typeof ref.namespace === 'string' ? ref.namespace : routeNamespace}/${ref.name}`);
  }
  return out;
}

/** Namespaces other than its own that a valid route's backends and mirrors name. */
export function foreignNamespaces(
  route: HttpRouteRecord | GrpcRouteRecord | GatewayProblemError | undefined,
): Set<string> {
  const out = new Set<string>();
  if (route === undefined || route instanceof GatewayProblemError) return out;
  for (const svc of servicesNamedBy(route)) {
    const ns = svc.slice(0, svc.indexOf('/'));
    if (ns !== route.namespace) out.add(ns);
  }
  return out;
}

/** A many-to-many index kept from one side: `set(a, bs)` replaces what `a` maps to. */
export function createRelation(): {
  set(a: string, bs: ReadonlySet<string>): void;
  of(a: string): ReadonlySet<string>;
  to(b: string): ReadonlySet<string>;
} {
  const forward = new Map<string, ReadonlySet<string>>();
  const backward = new Map<string, Set<string>>();
  const none: ReadonlySet<string> = new Set();
  return {
    set(a, bs) {
      for (const b of forward.get(a) ?? []) {
        const as = backward.get(b);
        as?.delete(a);
        if (as?.size === 0) backward.delete(b);
      }
      if (bs.size === 0) forward.delete(a);
      else forward.set(a, bs);
      for (const b of bs) {
        let as = backward.get(b);
        if (as === undefined) {
          as = new Set();
          backward.set(b, as);
        }
        as.add(a);
      }
    },
    of: (a) => forward.get(a) ?? none,
    to: (b) => backward.get(b) ?? none,
  };
}
