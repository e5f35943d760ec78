/**
 * ReferenceGrant: a reference from one namespace to an object in another (a backend Service, a
 * certificate Secret) is allowed only when a ReferenceGrant in the target namespace lets the
 * referring kind from the referring namespace refer to that kind (and, when it names one, that
 * object).
 */
import { GATEWAY_GROUP, type ReferenceGrantRecord } from './model.js';

/** The referring side. */
export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

/** The referred-to object. */
export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** True when `from` may refer to `to`: same namespace, or a grant in `to.namespace` allows it. */
export function referenceAllowed(
  grants: Iterable<ReferenceGrantRecord>,
  from: ReferenceFrom,
  to: ReferenceTo,
): boolean {
  if (from.namespace === to.namespace) return true;
  for (const g of grants) {
    if (g.namespace !== to.namespace) continue;
    const fromOk = g.from.some(
      (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) continue;
    if (
      g.to.some(
        (t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name),
      )
    )
      return true;
  }
  return false;
}

/** The `from` of a route of `kind` in `namespace`. */
export function routeFrom(kind: 'HTTPRoute' | 'GRPCRoute', namespace: string): ReferenceFrom {
  return { group: GATEWAY_GROUP, kind, namespace };
}
