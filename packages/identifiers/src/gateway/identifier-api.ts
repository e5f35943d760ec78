/**
 * The public face of `io.l5d.httproute`: its kind and constants, the options object and the
 * identifier's interface (a callable `Identifier` plus its views). The wiring that implements it
 * is ./identifier.ts.
 */
import type {
  Clock,
  Identifier,
  MirrorLimits,
  Random,
  RequestHead,
  Stats,
  Var as VarType,
} from '@switchyard/core';
import type { Path } from '@switchyard/dtab';
import type { KubeClient } from '@switchyard/k8s';
import type { GrpcIndexEntry } from './grpc.js';
import type { IndexEntry } from './route-index.js';
import type { GatewaySource } from './sources.js';
import type { GatewayProblem, GatewayState, GatewayTlsSecret, HttpRouteRuleView } from './state.js';
/** The Linkerd-style kind of {@link createHttpRouteIdentifier}. */
export const HTTPROUTE_KIND = 'io.l5d.httproute';

/** The default `controllerName` of our GatewayClasses. */
export const DEFAULT_GATEWAY_CONTROLLER = 'switchyard.dev/gateway-controller';

/** The reason given when no rule of any served route matches (answered 404). */
export const NO_ROUTE_MATCHES = 'no HTTPRoute rule matches';

/**
 * Published on `switchyard:identifiers:gatewayProblem` for every route skipped as malformed and
 * every unreadable manifest: `{ object?, file?, field?, reason, error }`.
 */
export const GATEWAY_PROBLEM_CHANNEL = 'switchyard:identifiers:gatewayProblem';

/**
 * A request head as the identifier reads it: `localPort` is the port of the router's server the
 * request arrived on (the socket's local port), when the router tells it. A request is matched
 * only against routes attached to listeners on that port; without it, against every served
 * listener.
 */
export type GatewayRequestHead = RequestHead & { readonly localPort?: number };

/**
 * What changed between two rebuilds, for work that depends on a few objects (the status
 * writer): `all` (the first state, a GatewayClass or Namespace changed), or the ids of the changed
 * routes (`HTTPRoute ns/name`, `GRPCRoute ns/name`; routes naming a Service that appeared or went
 * included), the keys of changed Gateways (`ns/name`), and the namespaces of changed
 * ReferenceGrants.
 */
export type GatewayChange =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'some';
      readonly routes: ReadonlySet<string>;
      readonly gateways: ReadonlySet<string>;
      readonly grantNamespaces: ReadonlySet<string>;
    };

/** Options of {@link createHttpRouteIdentifier}. */
export interface HttpRouteIdentifierOptions {
  /** Where objects come from. Default `{ kind: 'kubernetes' }`. */
  readonly source?: GatewaySource;
  /** Serve GatewayClasses whose `spec.controllerName` is this. Default `switchyard.dev/gateway-controller`. */
  readonly controllerName?: string;
  /**
   * Serve Gateways of this class name instead (whether or not a GatewayClass object exists: handy
   * with the directory source). Overrides `controllerName` for choosing Gateways.
   */
  readonly gatewayClassName?: string;
  /** Serve only Gateways, routes and grants of this namespace. Default all. */
  readonly namespace?: string;
  /**
   * Serve only listeners on these ports (the ports of this router's servers). A request arriving
   * on a port no served listener has is then answered 404. Default: every HTTP/HTTPS listener of
   * our Gateways, and a request arriving on a port no listener has (a Service mapping port 80 to
   * the router's 4140) is matched against all of them.
   */
  readonly ports?: readonly number[];
  /** Prefix of backend names. Default `/svc`. */
  readonly dstPrefix?: string | Path;
  /** Wait this long for the first complete state before answering 503, ms. Default 10 000. */
  readonly syncTimeoutMs?: number;
  readonly clock?: Clock;
  /** Draws the 500 share of invalid backends and the share of requests mirrored. Default `Math.random`. */
  readonly random?: Random;
  /**
   * Bounds on `RequestMirror` copies (`maxInFlight`, `maxBodyBytes`, `timeoutMs`), put on every
   * identification that carries mirrors as `actions.mirrorLimits`; the router enforces them.
   * Absent fields: the router's defaults (64 in flight, the retry buffer's bodies, 10 s).
   */
  readonly mirror?: MirrorLimits;
  /** Counters `identified`, `unidentified`, `problems`; gauge `routes`. */
  readonly stats?: Stats;
}

/** The `io.l5d.httproute` identifier. */
export interface HttpRouteIdentifier extends Identifier<RequestHead> {
  readonly kind: typeof HTTPROUTE_KIND;
  readonly synced: Promise<void>;
  readonly isSynced: boolean;
  /** The winning HTTPRoute entry for a request (the synchronous core of identification). */
  match(req: GatewayRequestHead): IndexEntry | undefined;
  /** The winning GRPCRoute entry for a gRPC request (`content-type: application/grpc…`), if any. */
  matchGrpc(req: GatewayRequestHead): GrpcIndexEntry | undefined;
  /** The compiled tables, one line per entry, canonical (tests compare them). */
  dump(): string[];
  rules(): readonly HttpRouteRuleView[];
  problems(): readonly GatewayProblem[];
  /** The current attachment state (for status). */
  state(): GatewayState;
  /** Certificates of our HTTPS listeners (cross-namespace ones only with a ReferenceGrant). */
  readonly tlsSecrets: VarType<readonly GatewayTlsSecret[]>;
  /** True when a served rule has a `RequestRedirect` or `ResponseHeaderModifier` filter. */
  readonly hasResponseFilters: boolean;
  /** Fires after every rebuild of the index, telling which objects changed since the last one. */
  onChange(listener: (change: GatewayChange) => void): () => void;
  /** The Kubernetes client of the source, when it is the API. */
  readonly kube: Promise<KubeClient | undefined>;
  /** Stops watching; requests answer from the last state. Idempotent. */
  close(): void;
}
