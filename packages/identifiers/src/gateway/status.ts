/**
 * Gateway API status as pure functions of the attachment state: what `status` of each
 * GatewayClass, Gateway, HTTPRoute and GRPCRoute of ours should say. Conditions and reasons are the
 * spec's (GatewayClass `Accepted`; Gateway `Accepted`/`Programmed`; listener
 * `Accepted`/`ResolvedRefs`/`Programmed` with `attachedRoutes`; route `parents[]` with
 * `Accepted`/`ResolvedRefs`), each with `observedGeneration`. `lastTransitionTime` is kept from
 * the previous condition while its status is unchanged, so recomputing is idempotent and a
 * writer can skip objects whose status is already right.
 */
import type { GatewayCondition, GatewayListenerStatus, KubeObject, RouteParentStatus } from '@switchyard/k8s';
import { attachRoute, isHttpListener, supportedKinds } from './attach.js';
import { backendProblem } from './backends.js';
import { GatewayProblemError } from './errors.js';
import { referenceAllowed } from './grants.js';
import { GATEWAY_GROUP, type GatewayRecord, type ListenerRecord, normalizeParentRefs } from './model.js';
import { backendContext, type GatewayState } from './state.js';

type Status = GatewayCondition['status'];

/** Builds a condition, keeping `lastTransitionTime` from `previous` when the status is unchanged. */
export function condition(
  type: string,
  status: Status,
  reason: string,
  message: string,
  generation: number,
  now: string,
  previous: readonly GatewayCondition[] | undefined,
): GatewayCondition {
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: before !== undefined && before.status === status ? before.lastTransitionTime : now,
  };
}

function previousStatus(o: KubeObject | undefined): Record<string, unknown> {
  const s = (o as { status?: unknown } | undefined)?.status;
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
}

/** `status` of one of our GatewayClasses: always Accepted (we accept every class naming us). */
export function gatewayClassStatus(
  state: GatewayState,
  name: string,
  now: string,
): { conditions: GatewayCondition[] } | undefined {
  const c = state.classes.get(name);
  if (c === undefined || !state.ours.has(name)) return undefined;
  const prev = previousStatus(state.objects.get(`GatewayClass ${name}`)).conditions as
    | GatewayCondition[]
    | undefined;
  return {
    conditions: [
      condition('Accepted', 'True', 'Accepted', 'Accepted by Switchyard', c.generation, now, prev),
    ],
  };
}

/** Problems of a listener's certificateRefs: `InvalidCertificateRef` or `RefNotPermitted`. */
function certificateProblem(state: GatewayState, g: GatewayRecord, l: ListenerRecord): string | undefined {
  for (const ref of l.certificateRefs) {
    if (ref.group !== '' || ref.kind !== 'Secret') return 'InvalidCertificateRef';
    const ok = referenceAllowed(
      state.grants.values(),
      { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.namespace },
      { group: '', kind: 'Secret', namespace: ref.namespace, name: ref.name },
    );
    if (!ok) return 'RefNotPermitted';
  }
  if (l.protocol === 'HTTPS' && l.tlsMode !== 'Passthrough' && l.certificateRefs.length === 0)
    return 'InvalidCertificateRef';
  return undefined;
}

/** `status` of one of our Gateways: conditions and one entry per listener. */
export function gatewayStatus(
  state: GatewayState,
  key: string,
  now: string,
): { conditions: GatewayCondition[]; listeners: GatewayListenerStatus[] } | undefined {
  const g = state.gateways.get(key);
  if (g === undefined) return undefined;
  const prev = previousStatus(state.objects.get(`Gateway ${key}`));
  const prevListeners = (prev.listeners as GatewayListenerStatus[] | undefined) ?? [];
  const attached = new Map<string, number>();
  // Routes of both kinds count: `attachedRoutes` is the number of routes attached to the listener.
  for (const results of [...state.parents.values(), ...state.grpcParents.values()]) {
    const counted = new Set<string>();
    for (const r of results) {
      if (r.gateway.key !== key) continue;
      for (const a of r.attachments) counted.add(a.listener.name);
    }
    for (const name of counted) attached.set(name, (attached.get(name) ?? 0) + 1);
  }
  let anyProgrammed = false;
  const listeners = g.listeners.map((l): GatewayListenerStatus => {
    const before = prevListeners.find((p) => p.name === l.name)?.conditions;
    const kinds = supportedKinds(l);
    const served = state.ports === undefined || state.ports.has(l.port);
    const accepted: [Status, string, string] = !isHttpListener(l)
      ? ['False', 'UnsupportedProtocol', `protocol ${l.protocol} is not served (HTTP and HTTPS are)`]
      : !served
        ? ['False', 'PortUnavailable', `port ${l.port} is not one of this router's ports`]
        : ['True', 'Accepted', 'Accepted'];
    const certificate = certificateProblem(state, g, l);
    const resolved: [Status, string, string] = kinds.invalid
      ? [
          'False',
          'InvalidRouteKinds',
          'only HTTPRoute and GRPCRoute (gateway.networking.k8s.io) are supported',
        ]
      : certificate !== undefined
        ? ['False', certificate, 'a certificateRef is not a permitted Secret']
        : ['True', 'ResolvedRefs', 'Resolved'];
    const programmed = accepted[0] === 'True' && resolved[0] === 'True';
    if (programmed) anyProgrammed = true;
    return {
      name: l.name,
      supportedKinds: kinds.kinds.map((k) => ({ group: k.group, kind: k.kind })),
      attachedRoutes: attached.get(l.name) ?? 0,
      conditions: [
        condition('Accepted', accepted[0], accepted[1], accepted[2], g.generation, now, before),
        condition('ResolvedRefs', resolved[0], resolved[1], resolved[2], g.generation, now, before),
        condition(
          'Programmed',
          programmed ? 'True' : 'False',
          programmed ? 'Programmed' : 'Invalid',
          programmed ? 'Programmed' : 'not accepted or refs unresolved',
          g.generation,
          now,
          before,
        ),
      ],
    };
  });
  const prevConditions = prev.conditions as GatewayCondition[] | undefined;
  const ok = g.listeners.length === 0 || anyProgrammed;
  return {
    conditions: [
      condition(
        'Accepted',
        ok ? 'True' : 'False',
        ok ? 'Accepted' : 'ListenersNotValid',
        ok ? 'Accepted' : 'no listener is valid',
        g.generation,
        now,
        prevConditions,
      ),
      condition(
        'Programmed',
        ok ? 'True' : 'False',
        ok ? 'Programmed' : 'Invalid',
        ok ? 'Programmed' : 'no listener is programmed',
        g.generation,
        now,
        prevConditions,
      ),
    ],
    listeners,
  };
}

/**
 * Our entries of an HTTPRoute's `status.parents`: one per parentRef naming one of our Gateways.
 * Entries of other controllers are not ours to compute (a writer keeps them).
 */
export function httpRouteParents(
  state: GatewayState,
  key: string,
  controllerName: string,
  now: string,
): RouteParentStatus[] {
  return routeParents(state, 'HTTPRoute', key, controllerName, now);
}

/** Our entries of a GRPCRoute's `status.parents`, as {@link httpRouteParents}. */
export function grpcRouteParents(
  state: GatewayState,
  key: string,
  controllerName: string,
  now: string,
): RouteParentStatus[] {
  return routeParents(state, 'GRPCRoute', key, controllerName, now);
}

function routeParents(
  state: GatewayState,
  kind: 'HTTPRoute' | 'GRPCRoute',
  key: string,
  controllerName: string,
  now: string,
): RouteParentStatus[] {
  const route = kind === 'HTTPRoute' ? state.routes.get(key) : state.grpcRoutes.get(key);
  if (route === undefined) return [];
  const raw = state.objects.get(`${kind} ${key}`);
  const prevParents = (previousStatus(raw).parents as RouteParentStatus[] | undefined) ?? [];
  const before = (ref: Readonly<Record<string, unknown>>) =>
    prevParents.find(
      (p) => p.controllerName === controllerName && JSON.stringify(p.parentRef) === JSON.stringify(ref),
    )?.conditions;
  if (route instanceof GatewayProblemError) {
    // Malformed: every parentRef of ours says why (the route is not served at all).
    const spec = (raw as { spec?: unknown } | undefined)?.spec;
    const namespace = key.slice(0, key.indexOf('/'));
    const refs = normalizeParentRefs(
      typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : {},
      namespace,
    );
    const generation = (raw?.metadata?.generation as number | undefined) ?? 0;
    const results = attachRoute(
      { namespace, hostnames: [], parentRefs: refs },
      state.gateways,
      new Map(),
      kind,
    );
    return results.map((r) => ({
      parentRef: r.parentRef.raw as unknown as RouteParentStatus['parentRef'],
      controllerName,
      conditions: [
        condition(
          'Accepted',
          'False',
          'UnsupportedValue',
          route.message,
          generation,
          now,
          before(r.parentRef.raw),
        ),
        condition(
          'ResolvedRefs',
          'True',
          'ResolvedRefs',
          'Resolved',
          generation,
          now,
          before(r.parentRef.raw),
        ),
      ],
    }));
  }
  const problems = new Set<string>();
  for (const rule of route.rules) {
    for (const ref of rule.backendRefs) {
      const p = backendProblem(ref, route.namespace, backendContext(state), kind);
      if (p !== undefined) problems.add(p);
    }
  }
  const resolvedReason = problems.has('InvalidKind')
    ? 'InvalidKind'
    : problems.has('RefNotPermitted')
      ? 'RefNotPermitted'
      : problems.has('BackendNotFound')
        ? 'BackendNotFound'
        : undefined;
  const parents = kind === 'HTTPRoute' ? state.parents : state.grpcParents;
  return (parents.get(key) ?? []).map((r) => {
    const prev = before(r.parentRef.raw);
    const message =
      r.reason === 'Accepted'
        ? 'Accepted'
        : r.reason === 'NoMatchingParent'
          ? 'no listener matches the sectionName/port'
          : r.reason === 'NotAllowedByListeners'
            ? 'no listener allows this route (allowedRoutes)'
            : 'no listener hostname intersects the route hostnames';
    return {
      parentRef: r.parentRef.raw as unknown as RouteParentStatus['parentRef'],
      controllerName,
      conditions: [
        condition('Accepted', r.accepted ? 'True' : 'False', r.reason, message, route.generation, now, prev),
        resolvedReason === undefined
          ? condition('ResolvedRefs', 'True', 'ResolvedRefs', 'Resolved', route.generation, now, prev)
          : condition(
              'ResolvedRefs',
              'False',
              resolvedReason,
              resolvedReason === 'InvalidKind'
                ? 'a backendRef is not a core Service'
                : resolvedReason === 'RefNotPermitted'
                  ? 'a cross-namespace backendRef has no ReferenceGrant'
                  : 'a backendRef names a Service that does not exist',
              route.generation,
              now,
              prev,
            ),
      ],
    };
  });
}
