/**
 * Which objects are ours and how routes attach to them. GatewayClasses are ours by
 * `spec.controllerName` (or, with the `gatewayClassName` option, by name); Gateways of our classes
 * are ours; a route attaches to a listener of one of them through a `parentRefs` entry (name,
 * namespace, optional `sectionName` and `port`) when the listener admits the route's kind and
 * namespace (`allowedRoutes`) and their hostnames intersect. Pure functions of the object sets.
 */
import type { LabelSelector } from '@switchyard/k8s';
import { intersect } from './hostnames.js';
import {
  GATEWAY_GROUP,
  type GatewayClassRecord,
  type GatewayRecord,
  type HttpRouteRecord,
  type ListenerRecord,
  type ObjectInfo,
  type ParentRefRecord,
  type RouteGroupKind,
} from './model.js';

/** How our classes are chosen. */
export type Ownership =
  | { readonly by: 'controllerName'; readonly controllerName: string }
  | { readonly by: 'gatewayClassName'; readonly gatewayClassName: string; readonly controllerName: string };

/** Our GatewayClass names. */
export function ourClasses(classes: Iterable<GatewayClassRecord>, own: Ownership): Set<string> {
  const out = new Set<string>();
  if (own.by === 'gatewayClassName') {
    // Named explicitly: served even without a GatewayClass object (the directory source).
    out.add(own.gatewayClassName);
    return out;
  }
  for (const c of classes) if (c.controllerName === own.controllerName) out.add(c.name);
  return out;
}

/** Route kinds an HTTP or HTTPS listener admits when `allowedRoutes.kinds` is not set. */
export const HTTP_ROUTE_KIND: RouteGroupKind = Object.freeze({ group: GATEWAY_GROUP, kind: 'HTTPRoute' });
/** GRPCRoute, admitted by HTTP and HTTPS listeners beside HTTPRoute. */
export const GRPC_ROUTE_KIND: RouteGroupKind = Object.freeze({ group: GATEWAY_GROUP, kind: 'GRPCRoute' });

/** True for protocols whose listeners carry HTTPRoutes and GRPCRoutes. */
export function isHttpListener(l: ListenerRecord): boolean {
  return l.protocol === 'HTTP' || (l.protocol === 'HTTPS' && l.tlsMode !== 'Passthrough');
}

/**
 * The kinds a listener supports (HTTPRoute and GRPCRoute on HTTP/HTTPS listeners, in that order,
 * or those of `allowedRoutes.kinds` among them), and whether some written kind is not supported.
 */
export function supportedKinds(l: ListenerRecord): { kinds: RouteGroupKind[]; invalid: boolean } {
  if (!isHttpListener(l)) return { kinds: [], invalid: false };
  if (l.kinds === undefined) return { kinds: [HTTP_ROUTE_KIND, GRPC_ROUTE_KIND], invalid: false };
  const kinds = l.kinds.filter(
    (k) => k.group === GATEWAY_GROUP && (k.kind === 'HTTPRoute' || k.kind === 'GRPCRoute'),
  );
  return { kinds, invalid: kinds.length !== l.kinds.length };
}

/** Whether a listener admits routes of `kind` (one of its {@link supportedKinds}). */
export function admitsKind(l: ListenerRecord, kind: 'HTTPRoute' | 'GRPCRoute'): boolean {
  return supportedKinds(l).kinds.some((k) => k.kind === kind);
}

/** `metav1.LabelSelector` semantics: every matchLabels and matchExpressions term holds. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Whether a listener of `gateway` admits routes from `routeNamespace`. */
export function namespaceAllowed(
  l: ListenerRecord,
  gateway: GatewayRecord,
  routeNamespace: string,
  namespaces: ReadonlyMap<string, ObjectInfo>,
): boolean {
  switch (l.from) {
    case 'All':
      return true;
    case 'Same':
      return routeNamespace === gateway.namespace;
    case 'Selector': {
      const ns = namespaces.get(routeNamespace);
      return l.selector !== undefined && selectorMatches(l.selector, ns?.labels ?? {});
    }
    default: {
      const never: never = l.from;
      return never;
    }
  }
}

/** A route attached to one listener, with the hostnames it serves there (`undefined`: any). */
export interface ListenerAttachment {
  readonly gateway: GatewayRecord;
  readonly listener: ListenerRecord;
  readonly hostnames: readonly (string | undefined)[];
}

/** The outcome of one parentRef that points at one of our Gateways. */
export interface ParentResult {
  readonly parentRef: ParentRefRecord;
  readonly gateway: GatewayRecord;
  readonly accepted: boolean;
  /** `Accepted`, or why not: `NoMatchingParent`, `NotAllowedByListeners`, `NoMatchingListenerHostname`. */
  readonly reason: 'Accepted' | 'NoMatchingParent' | 'NotAllowedByListeners' | 'NoMatchingListenerHostname';
  readonly attachments: readonly ListenerAttachment[];
}

/** Attaches `route` to our Gateways: one result per parentRef that names one of them. */
export function attachRoute(
  route: Pick<HttpRouteRecord, 'namespace' | 'hostnames' | 'parentRefs'>,
  gateways: ReadonlyMap<string, GatewayRecord>,
  namespaces: ReadonlyMap<string, ObjectInfo>,
  routeKind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute',
): ParentResult[] {
  const out: ParentResult[] = [];
  for (const ref of route.parentRefs) {
    if (ref.group !== GATEWAY_GROUP || ref.kind !== 'Gateway') continue;
    const gateway = gateways.get(`${ref.namespace}/${ref.name}`);
    if (gateway === undefined) continue;
    const candidates = gateway.listeners.filter(
      (l) =>
        (ref.sectionName === undefined || l.name === ref.sectionName) &&
        (ref.port === undefined || l.port === ref.port),
    );
    const allowed = candidates.filter(
      (l) => admitsKind(l, routeKind) && namespaceAllowed(l, gateway, route.namespace, namespaces),
    );
    const attachments: ListenerAttachment[] = [];
    for (const l of allowed) {
      const hostnames: (string | undefined)[] = [];
      if (route.hostnames.length === 0) hostnames.push(l.hostname);
      for (const h of route.hostnames) {
        const i = intersect(l.hostname, h);
        if (i !== null && !hostnames.includes(i)) hostnames.push(i);
      }
      if (hostnames.length > 0) attachments.push({ gateway, listener: l, hostnames });
    }
    const reason =
      candidates.length === 0
        ? 'NoMatchingParent'
        : allowed.length === 0
          ? 'NotAllowedByListeners'
          : attachments.length === 0
            ? 'NoMatchingListenerHostname'
            : 'Accepted';
    out.push({ parentRef: ref, gateway, accepted: reason === 'Accepted', reason, attachments });
  }
  return out;
}
