/**
 * From a matched table entry to the identification the router gets: the rule's backend name (and
 * its weighted-union dtab), or 500 when the rule's backends are invalid (all of them, or the
 * drawn share of invalid weight); the rule's request filters applied to the request (GRPCRoute:
 * header modifiers only); its timeouts (HTTPRoute) and drawn mirrors as {@link RouteActions}. Kept apart from the
 * wiring in ./identifier.ts; the same for HTTPRoute and GRPCRoute entries.
 */
import type {
  Counter,
  Identification,
  MirrorLimits,
  Random,
  RequestHead,
  RouteActions,
} from '@switchyard/core';
import { identified, unidentified } from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import type { HttpRouteActions, HttpRouteIdentified } from './actions.js';
import type { RuleTarget } from './backends.js';
import { applyRequestFilters, applyRequestHeaderFilters } from './filters.js';
import type { GrpcIndexEntry } from './grpc.js';
import type { IndexEntry } from './route-index.js';
import type { RuleTimeouts } from './timeouts.js';

/** What a decision reads besides the entry: the draw and the counters. */
export interface DecideContext {
  readonly random: Random;
  /** Put on the actions of every identification with mirrors (the router enforces them). */
  readonly mirrorLimits?: MirrorLimits | undefined;
  readonly identified?: Counter | undefined;
  readonly unidentified?: Counter | undefined;
}

/** The 500 of a rule whose (drawn) backend is invalid, or `undefined` when the target is usable. */
function invalidTarget(
  ctx: DecideContext,
  where: string,
  t: RuleTarget,
): Identification<RequestHead> | undefined {
  if (t.kind === 'error') {
    ctx.unidentified?.incr();
    return unidentified(`${where}: ${t.reason}`, 500);
  }
  if (t.invalidWeight > 0 && ctx.random() * t.totalWeight < t.invalidWeight) {
    ctx.unidentified?.incr();
    return unidentified(`${where}: invalid backend`, 500);
  }
  return undefined;
}

/**
 * `result` with the rule's timeouts and drawn mirrors as {@link RouteActions} (and the same as
 * {@link HttpRouteActions}), or `result` itself when the rule has neither.
 */
function withActions(
  ctx: DecideContext,
  result: Identification<RequestHead>,
  entry: IndexEntry | GrpcIndexEntry,
  timeouts: RuleTimeouts | undefined,
): Identification<RequestHead> {
  const mirrorRecords = entry.mirrors;
  if (timeouts === undefined && mirrorRecords === undefined) return result;
  const mirrors: Path[] = [];
  for (const m of mirrorRecords ?? []) if (ctx.random() * m.denominator < m.numerator) mirrors.push(m.path);
  const httpRoute: HttpRouteActions = { route: entry.route.key, rule: entry.rule.index, timeouts, mirrors };
  const actions: RouteActions = {
    requestTimeoutMs: timeouts?.requestMs,
    backendRequestTimeoutMs: timeouts?.backendRequestMs,
    mirrors,
    ...(mirrors.length > 0 && ctx.mirrorLimits !== undefined ? { mirrorLimits: ctx.mirrorLimits } : {}),
  };
  return { ...result, actions, httpRoute } as HttpRouteIdentified;
}

/** Identification of a gRPC call a GRPCRoute rule matched, with its header filters and mirrors. */
export function decideGrpc(
  ctx: DecideContext,
  req: RequestHead,
  entry: GrpcIndexEntry,
): Identification<RequestHead> {
  const t = entry.target;
  const invalid = invalidTarget(ctx, `GRPCRoute ${entry.route.key} rule ${entry.rule.index}`, t);
  if (invalid !== undefined || t.kind !== 'route') return invalid!;
  ctx.identified?.incr();
  const filters = entry.rule.filters;
  const result = identified(
    t.path,
    filters.length === 0 ? req : applyRequestHeaderFilters(req, filters),
    t.dtab,
  );
  return withActions(ctx, result, entry, undefined);
}

/** Identification of a request an HTTPRoute rule matched, with its filters and actions. */
export function decideHttp(
  ctx: DecideContext,
  req: RequestHead,
  entry: IndexEntry,
): Identification<RequestHead> {
  const t = entry.target;
  const invalid = invalidTarget(ctx, `HTTPRoute ${entry.route.key} rule ${entry.rule.index}`, t);
  if (invalid !== undefined || t.kind !== 'route') return invalid!;
  ctx.identified?.incr();
  const filters = entry.rule.filters;
  const result = identified(
    t.path,
    filters.length === 0 ? req : applyRequestFilters(req, filters, entry.match),
    t.dtab,
  );
  return withActions(ctx, result, entry, entry.rule.timeouts);
}
