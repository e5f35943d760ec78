/**
 * The identifier's derived state and its read-only views: the attachment state the status
 * functions read, the admin routing table, the problem list and the HTTPS listeners'
 * certificates. Pure functions of that state, kept apart from the wiring in ./identifier.ts.
 */
import { Path } from '@switchyard/dtab';
import type { KubeObject } from '@switchyard/k8s';
import { isHttpListener, type ParentResult } from './attach.js';
import { type BackendContext, type RuleTarget, ruleTarget } from './backends.js';
import { GatewayProblemError, type GatewaySourceError } from './errors.js';
import { referenceAllowed } from './grants.js';
import type { GrpcRouteRecord } from './grpc.js';
import {
  GATEWAY_GROUP,
  type GatewayClassRecord,
  type GatewayRecord,
  type HttpRouteRecord,
  type MatchRecord,
  type ReferenceGrantRecord,
} from './model.js';

/** One indexed row of the admin routing table. */
export interface HttpRouteRuleView {
  /** `namespace/name` of the HTTPRoute. */
  readonly route: string;
  readonly rule: number;
  /** Effective hostname, `*` for any. */
  readonly hostname: string;
  /** E.g. `PathPrefix /api`, `Exact /`, plus `GET`, `headers: 2`, … */
  readonly match: string;
  /** The name given, or `500: <reason>`. */
  readonly target: string;
}

/** A skipped object or an unreadable manifest. */
export type GatewayProblem =
  | { readonly kind: 'invalid'; readonly object: string; readonly field: string; readonly message: string }
  | { readonly kind: 'source'; readonly file: string; readonly message: string };

/** An HTTPS listener's certificate, for the TLS server's SNI. */
export interface GatewayTlsSecret {
  /** `namespace/name` of the Gateway and the listener name. */
  readonly gateway: string;
  readonly listener: string;
  readonly namespace: string;
  readonly secretName: string;
  /** The listener hostname; empty means "the default certificate". */
  readonly hosts: readonly string[];
}

/** The attachment state, the input of the status functions. */
export interface GatewayState {
  readonly classes: ReadonlyMap<string, GatewayClassRecord>;
  readonly ours: ReadonlySet<string>;
  readonly gateways: ReadonlyMap<string, GatewayRecord>;
  readonly routes: ReadonlyMap<string, HttpRouteRecord | GatewayProblemError>;
  readonly parents: ReadonlyMap<string, readonly ParentResult[]>;
  /** GRPCRoutes by `namespace/name` (malformed ones as their problem), and their parent results. */
  readonly grpcRoutes: ReadonlyMap<string, GrpcRouteRecord | GatewayProblemError>;
  readonly grpcParents: ReadonlyMap<string, readonly ParentResult[]>;
  readonly grants: ReadonlyMap<string, ReferenceGrantRecord>;
  /** Objects as received, by `<Kind> <key>` (status writes compare with and keep their status). */
  readonly objects: ReadonlyMap<string, KubeObject>;
  /** Served listener ports (`undefined`: all). */
  readonly ports: ReadonlySet<number> | undefined;
  /** Existing Services (`namespace/name`) when read from the API; `undefined`: not checked. */
  readonly services: ReadonlySet<string> | undefined;
  /** The one namespace whose Services are watched (`undefined`: all). */
  readonly serviceNamespace: string | undefined;
}

/** What backendRefs of the state are checked against. */
export function backendContext(state: GatewayState): BackendContext {
  return { grants: state.grants, services: state.services, serviceNamespace: state.serviceNamespace };
}

function describeMatch(m: MatchRecord): string {
  const parts = [`${m.path.type} ${m.path.value}`];
  if (m.method) parts.push(m.method);
  if (m.headers.length) parts.push(`headers: ${m.headers.map((h) => h.name).join(',')}`);
  if (m.queryParams.length) parts.push(`query: ${m.queryParams.map((q) => q.name).join(',')}`);
  return parts.join(' ');
}

function showTarget(t: RuleTarget): string {
  return t.kind === 'error' ? `500: ${t.reason}` : Path.show(t.path);
}

/** The admin routing table: one row per (route, effective hostname, rule, match) served. */
export function ruleViews(state: GatewayState, dstPrefix: Path): HttpRouteRuleView[] {
  const out: HttpRouteRuleView[] = [];
  const ports = state.ports;
  for (const [key, results] of [...state.parents].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const route = state.routes.get(key);
    if (route === undefined || route instanceof GatewayProblemError) continue;
    const hosts = new Set<string>();
    for (const r of results)
      for (const a of r.attachments)
        if ((ports === undefined || ports.has(a.listener.port)) && isHttpListener(a.listener))
          for (const h of a.hostnames) hosts.add(h ?? '*');
    for (const hostname of [...hosts].sort()) {
      for (const rule of route.rules) {
        const target = showTarget(ruleTarget(rule, route, dstPrefix, backendContext(state)));
        for (const m of rule.matches) {
          out.push({ route: key, rule: rule.index, hostname, match: describeMatch(m), target });
        }
      }
    }
  }
  return out;
}

/** Unreadable manifests, then malformed routes, each sorted. */
export function problemList(
  fileErrors: Iterable<GatewaySourceError>,
  routes: Iterable<HttpRouteRecord | GrpcRouteRecord | GatewayProblemError>,
): GatewayProblem[] {
  const out: GatewayProblem[] = [];
  for (const e of [...fileErrors].sort((a, b) => (a.file < b.file ? -1 : 1))) {
    out.push({ kind: 'source', file: e.file, message: e.message });
  }
  const invalid = [...routes].filter((r): r is GatewayProblemError => r instanceof GatewayProblemError);
  for (const r of invalid.sort((a, b) => (a.object < b.object ? -1 : 1))) {
    out.push({ kind: 'invalid', object: r.object, field: r.field, message: r.message });
  }
  return out;
}

/** Certificates of our served HTTPS listeners; another namespace's Secret only with a ReferenceGrant. */
export function tlsSecretsOf(state: GatewayState): GatewayTlsSecret[] {
  const secrets: GatewayTlsSecret[] = [];
  for (const g of state.gateways.values()) {
    for (const l of g.listeners) {
      if (l.protocol !== 'HTTPS' || l.tlsMode === 'Passthrough') continue;
      if (state.ports !== undefined && !state.ports.has(l.port)) continue;
      for (const ref of l.certificateRefs) {
        if (ref.group !== '' || ref.kind !== 'Secret') continue;
        const allowed = referenceAllowed(
          state.grants.values(),
          { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.namespace },
          { group: '', kind: 'Secret', namespace: ref.namespace, name: ref.name },
        );
        if (!allowed) continue;
        secrets.push(
          Object.freeze({
            gateway: g.key,
            listener: l.name,
            namespace: ref.namespace,
            secretName: ref.name,
            hosts: Object.freeze(l.hostname ? [l.hostname] : []),
          }),
        );
      }
    }
  }
  return secrets;
}
