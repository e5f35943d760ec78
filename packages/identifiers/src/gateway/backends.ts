/**
 * Where a rule sends requests. Each valid Service backendRef is the name
 * `<dstPrefix>/<namespace>/<port>/<service>` (the names `io.l5d.ingress` produces, so the same
 * dtab and namers serve both). One backend is named directly; several weighted backends become
 * a rule name `/gw/<namespace>/<route>/<rule>` plus the dentry
 * `/gw/<namespace>/<route>/<rule> => 3 * /svc/a & 1 * /svc/b`, which the router appends to the
 * dtab of that request, so the weighted choice is the router's union, per request.
 *
 * Invalid backends (a kind other than Service, a cross-namespace reference no ReferenceGrant
 * allows, and — when Services are known, i.e. read from the Kubernetes API — a Service that does
 * not exist) keep their weight: that share of requests is answered 500, as the spec asks; a rule
 * with no backend or only zero weights answers 500 to all.
 */
import { Dentry, Dtab, NameTree, type Path } from '@switchyard/dtab';
import { referenceAllowed, routeFrom } from './grants.js';
import type { BackendRefRecord, ReferenceGrantRecord, RuleRecord } from './model.js';

/** `ResolvedRefs` reasons a backend can have. */
export type BackendProblem = 'InvalidKind' | 'RefNotPermitted' | 'BackendNotFound';

/**
 * What backends are checked against: the ReferenceGrants, and the existing Services as
 * `namespace/name` when they are known (`undefined`: not checked — the directory and static
 * sources, where the dtab alone decides whether a backend exists). `serviceNamespaces` limits the
 * check to the namespaces whose Services are watched (`undefined`: all).
 */
export interface BackendContext {
  /** By `namespace/name` (a map, not an iterator: every backendRef reads it again). */
  readonly grants: ReadonlyMap<string, ReferenceGrantRecord>;
  readonly services: ReadonlySet<string> | undefined;
  readonly serviceNamespace?: string | undefined;
}

/** Where one rule sends requests. */
export type RuleTarget =
  | {
      readonly kind: 'error';
      /** Always 500. */
      readonly status: 500;
      readonly reason: string;
    }
  | {
      readonly kind: 'route';
      /** The identified name. */
      readonly path: Path;
      /** The dentry naming the weighted union, when there are several backends. */
      readonly dtab: Dtab | undefined;
      /** Weight of invalid backends (their share is answered 500), and of all backends. */
      readonly invalidWeight: number;
      readonly totalWeight: number;
    };

/** A backendRef's problem, if any. */
export function backendProblem(
  ref: BackendRefRecord,
  routeNamespace: string,
  context: BackendContext,
  routeKind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute',
): BackendProblem | undefined {
  if (ref.group !== '' || ref.kind !== 'Service') return 'InvalidKind';
  const allowed = referenceAllowed(context.grants.values(), routeFrom(routeKind, routeNamespace), {
    group: '',
    kind: 'Service',
    namespace: ref.namespace,
    name: ref.name,
  });
  if (!allowed) return 'RefNotPermitted';
  const { services, serviceNamespace } = context;
  if (
    services !== undefined &&
    (serviceNamespace === undefined || serviceNamespace === ref.namespace) &&
    !services.has(`${ref.namespace}/${ref.name}`)
  )
    return 'BackendNotFound';
  return undefined;
}

/** The name of a Service backend. */
export function backendName(dstPrefix: Path, ref: BackendRefRecord): Path {
  return Object.freeze([...dstPrefix, ref.namespace, String(ref.port), ref.name]);
}

/** Compiles one rule's backends into its target. */
export function ruleTarget(
  rule: Pick<RuleRecord, 'index' | 'backendRefs'>,
  route: { readonly namespace: string; readonly name: string },
  dstPrefix: Path,
  context: BackendContext,
  routeKind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute',
): RuleTarget {
  if (rule.backendRefs.length === 0)
    return { kind: 'error', status: 500, reason: 'the rule has no backendRefs' };
  let invalidWeight = 0;
  let totalWeight = 0;
  const valid: { weight: number; path: Path }[] = [];
  const problems: string[] = [];
  for (const ref of rule.backendRefs) {
    totalWeight += ref.weight;
    const problem = backendProblem(ref, route.namespace, context, routeKind);
    if (problem !== undefined) {
      invalidWeight += ref.weight;
      problems.push(`${ref.kind} ${ref.namespace}/${ref.name}: ${problem}`);
      continue;
    }
    if (ref.weight > 0) valid.push({ weight: ref.weight, path: backendName(dstPrefix, ref) });
  }
  if (valid.length === 0) {
    const why =
      problems.length > 0 ? `invalid backends (${problems.join(', ')})` : 'every backend has weight 0';
    return { kind: 'error', status: 500, reason: why };
  }
  if (valid.length === 1) {
    return { kind: 'route', path: valid[0]!.path, dtab: undefined, invalidWeight, totalWeight };
  }
  const path: Path = Object.freeze(['gw', route.namespace, route.name, String(rule.index)]);
  const tree = NameTree.union(...valid.map((v) => NameTree.weighted(v.weight, NameTree.leaf(v.path))));
  return { kind: 'route', path, dtab: Dtab.of(Dentry.of(path, tree)), invalidWeight, totalWeight };
}
