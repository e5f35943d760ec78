/**
 * Which Ingresses are ours. Several ingress controllers share a cluster; serving an Ingress meant
 * for another one is as wrong as ignoring one meant for us.
 *
 * Default mode (Kubernetes Ingress v1, in this order):
 * 1. the legacy annotation `kubernetes.io/ingress.class`, when present, decides alone: ours iff it
 *    equals the `ingressClassAnnotation` option (default `linkerd`);
 * 2. else `spec.ingressClassName`: ours iff an IngressClass of that name exists whose
 *    `spec.controller` is our `controllerName`;
 * 3. else (no class at all): ours iff one of our IngressClasses carries
 *    `ingressclass.kubernetes.io/is-default-class: "true"`. Without such a default class a
 *    class-less Ingress is left alone, as the Kubernetes documentation asks of controllers.
 *
 * `compat: linkerd1`: only the annotation counts; an Ingress without it is claimed (Linkerd 1's
 * `IngressCache.mkIngress`), whatever its `spec.ingressClassName`.
 */
import type { IngressClass } from '@switchyard/k8s';
import type { IngressRecord } from './model.js';

/** The annotation that makes an IngressClass the cluster default. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** Why an Ingress is or is not ours, for the admin view. */
export type ClaimDecision =
  | {
      readonly claimed: true;
      readonly by: 'annotation' | 'ingressClassName' | 'defaultClass' | 'unannotated';
    }
  | { readonly claimed: false; readonly reason: string };

/** The class state a decision depends on. */
export interface ClassContext {
  readonly compat: 'default' | 'linkerd1';
  readonly annotationValue: string;
  readonly controllerName: string;
  /** IngressClasses by name. */
  readonly classes: ReadonlyMap<string, IngressClass>;
}

function isOurs(c: IngressClass | undefined, controller: string): boolean {
  return c?.spec?.controller === controller;
}

/** True when `classes` has one of our IngressClasses marked as the default. */
export function hasOurDefaultClass(ctx: ClassContext): boolean {
  for (const c of ctx.classes.values()) {
    if (isOurs(c, ctx.controllerName) && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
      return true;
  }
  return false;
}

/** Decides whether `record` is served by this identifier. */
export function claim(
  record: Pick<IngressRecord, 'classAnnotation' | 'className'>,
  ctx: ClassContext,
): ClaimDecision {
  const ann = record.classAnnotation;
  if (ann !== undefined) {
    return ann === ctx.annotationValue
      ? { claimed: true, by: 'annotation' }
      : {
          claimed: false,
          reason: `annotation kubernetes.io/ingress.class is "${ann}", not "${ctx.annotationValue}"`,
        };
  }
  if (ctx.compat === 'linkerd1') return { claimed: true, by: 'unannotated' };
  if (record.className !== undefined) {
    const c = ctx.classes.get(record.className);
    if (c === undefined)
      return { claimed: false, reason: `IngressClass "${record.className}" does not exist` };
    return isOurs(c, ctx.controllerName)
      ? { claimed: true, by: 'ingressClassName' }
      : {
          claimed: false,
          reason: `IngressClass "${record.className}" belongs to controller "${c.spec?.controller ?? ''}"`,
        };
  }
  return hasOurDefaultClass(ctx)
    ? { claimed: true, by: 'defaultClass' }
    : { claimed: false, reason: 'no ingress class and none of our IngressClasses is the default' };
}
