/**
 * What a matched HTTPRoute rule asks of the router beyond a name: per-rule `timeouts`
 * (`request`, `backendRequest`) and `RequestMirror` filters. The identifier decides them per
 * request (a mirror's `percent`/`fraction` is drawn there) and puts them on the identification as
 * data ({@link HttpRouteIdentified}); applying them (a deadline, sending a copy) is the router's.
 */
import type { Identification, RequestHead } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import { type BackendContext, backendName, backendProblem } from './backends.js';
import type { BackendRefRecord, RuleRecord } from './model.js';
import { mirrorShare, type RuleTimeouts } from './timeouts.js';

/** A compiled `RequestMirror` filter: where copies go and which share of requests is copied. */
export interface MirrorRecord {
  /** The backend name (`<dstPrefix>/<namespace>/<port>/<service>`). */
  readonly path: Path;
  /** Copied when `random() * denominator < numerator`. */
  readonly numerator: number;
  readonly denominator: number;
}

/** What the identification of a rule with timeouts or mirrors carries. */
export interface HttpRouteActions {
  /** `namespace/name` of the route and the rule index (for logs and metrics). */
  readonly route: string;
  readonly rule: number;
  readonly timeouts: RuleTimeouts | undefined;
  /** Names to send a copy of this request to (already drawn: empty when none this time). */
  readonly mirrors: readonly Path[];
}

/** An `identified` result of `io.l5d.httproute` for a rule with timeouts or mirrors. */
export type HttpRouteIdentified = Extract<Identification<RequestHead>, { kind: 'identified' }> & {
  readonly httpRoute: HttpRouteActions;
};

/** The route actions of an identification, when it came from such a rule. */
export function httpRouteActionsOf(id: Identification<RequestHead>): HttpRouteActions | undefined {
  if (id.kind !== 'identified') return undefined;
  const actions = (id as Partial<HttpRouteIdentified>).httpRoute;
  return actions === undefined ? undefined : actions;
}

/**
 * The rule's valid `RequestMirror` filters, compiled. A mirror whose backend is invalid (another
 * kind, a cross-namespace reference without a grant, a missing Service) is dropped: mirroring
 * never turns into an error of the real request.
 */
export function ruleMirrors(
  rule: Pick<RuleRecord, 'filters'>,
  routeNamespace: string,
  dstPrefix: Path,
  context: BackendContext,
  routeKind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute',
): MirrorRecord[] {
  const out: MirrorRecord[] = [];
  for (const f of rule.filters) {
    if (f.type !== 'RequestMirror') continue;
    const m = f.requestMirror;
    if (typeof m !== 'object' || m === null) continue;
    const mirror = m as Record<string, unknown>;
    const ref = mirror.backendRef as Record<string, unknown> | undefined;
    if (typeof ref !== 'object' || ref === null || typeof ref.name !== 'string') continue;
    const share = mirrorShare(mirror);
    if (typeof share === 'string' || share[0] === 0) continue;
    const record: BackendRefRecord = {
      group: typeof ref.group === 'string' ? ref.group : '',
      kind: typeof ref.kind === 'string' ? ref.kind : 'Service',
      namespace: typeof ref.namespace === 'string' ? ref.namespace : routeNamespace,
      name: ref.name,
      port: typeof ref.port === 'number' ? ref.port : undefined,
      weight: 1,
    };
    if (record.port === undefined || backendProblem(record, routeNamespace, context, routeKind) !== undefined)
      continue;
    out.push(
      Object.freeze({ path: backendName(dstPrefix, record), numerator: share[0], denominator: share[1] }),
    );
  }
  return out;
}
