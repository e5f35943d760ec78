/**
 * What the admin server reads, as small interfaces. The admin never imports the router, the TLS
 * or the Kubernetes packages: the integrator adapts them to these views, so the admin can be
 * tested (and reused) against anything that can answer these questions.
 */
import type { DelegateTree, MetricSample } from '@switchyard/core';
import type { Dtab, Path } from '@switchyard/dtab';
import type { RecentRequest } from '@switchyard/telemetry';

/** One sampled request, as `@switchyard/telemetry`'s recent-requests buffer records it. */
export type { RecentRequest };

/** Anything that can list its current metrics: core's `createMetricsRegistry()` satisfies it. */
export interface MetricsSource {
  snapshot(): readonly MetricSample[];
}

/** One listening socket of a router. */
export interface AdminServerView {
  readonly ip: string;
  readonly port: number;
  /** True when the server terminates TLS. */
  readonly tls?: boolean;
  /** Open connections now, if the router tracks them (else read from `.../connections` gauge). */
  readonly connections?: number;
}

/** Failure-accrual state of one endpoint: `alive`, `dead` (ejected), `probing` (one probe allowed). */
export type EndpointState = 'alive' | 'dead' | 'probing';

/** One endpoint of a client, as the balancer sees it. */
export interface AdminEndpointView {
  readonly host: string;
  readonly port: number;
  /** Balancer load: outstanding requests (p2c) or the peak-EWMA cost. */
  readonly load: number;
  readonly state: EndpointState;
  readonly weight?: number;
}

/** A client: one bound name (`/#/io.l5d.k8s/default/http/world`) and its balancer. */
export interface AdminClientView {
  /** The bound id, shown as a path (`/#/io.l5d.k8s/default/http/world`). */
  readonly id: string;
  /** The logical names (`/svc/...`) currently routed to this client, when known. */
  readonly services?: readonly string[];
  /** Balancer kind (`p2c`, `ewma`, `aperture`, …). */
  readonly balancer: string;
  /** Endpoints in the balancer (the "LB size"). */
  readonly size: number;
  /** Endpoints the balancer may pick now (not ejected by failure accrual). */
  readonly available: number;
  readonly endpoints: readonly AdminEndpointView[];
}

/** One row of the routing table: an Ingress rule and where it sends requests. */
export interface AdminIngressRuleView {
  /** `namespace/name` of the Ingress. */
  readonly ingress: string;
  /** Host the rule matches; absent matches any host. */
  readonly host?: string;
  /** Full-match path regex; absent matches any path. */
  readonly path?: string;
  /** The name the rule produces, e.g. `/svc/default/80/world`. */
  readonly dst: string;
  /** `serviceName:servicePort` of the backend. */
  readonly backend: string;
  /** Ready endpoints of the backend, when known. */
  readonly readyEndpoints?: number;
  /** True for an Ingress default backend (tried only when no rule matched). */
  readonly defaultBackend?: boolean;
}

/**
 * The admin's view of a router. The integrator builds one per router (`label` is the Linkerd
 * router label, which is also the `rt/<label>` metrics scope).
 */
export interface AdminRouterView {
  readonly label: string;
  servers(): readonly AdminServerView[];
  /** The router's base dtab. */
  dtab(): Dtab;
  /**
   * Explains how `path` is routed under the base dtab followed by `local` (the override typed
   * into the playground, like an `l5d-dtab` header). Resolves once the tree is no longer pending.
   */
  delegate(path: Path, local: Dtab): Promise<DelegateTree>;
  clients(): readonly AdminClientView[];
  /** The ingress routing table, for routers with an `io.l5d.ingress` identifier. */
  ingressRules?(): readonly AdminIngressRuleView[];
  /** Recently sampled requests, newest first. */
  recentRequests?(): readonly RecentRequest[];
  /** The router's three stacks, outermost layer first in each (the router's `Router.stacks`). */
  stacks?(): AdminStacksView;
  /**
   * The shared dtab store whose dentries follow the router's dtab (config's `routers[].dtabStore`),
   * when it has one: read by `/admin/dtab-store.json` and the dashboard, written by
   * `PUT /admin/dtab-store/<label>` when control is enabled.
   */
  readonly dtabStore?: AdminDtabStoreView;
}

/** A dtab as a store holds it: its dentries and the version to hand back when writing. */
export interface AdminStoredDtab {
  readonly dtab: Dtab;
  /** The resourceVersion (Kubernetes) or content hash (files) of this dtab. */
  readonly version: string;
}

/** The outcome of {@link AdminDtabStoreView.update}: written, or refused as stale. */
export type AdminDtabStoreUpdate =
  | { readonly kind: 'updated'; readonly stored: AdminStoredDtab }
  /** The stored version is no longer `expectedVersion`: someone else wrote first. */
  | { readonly kind: 'conflict'; readonly message: string };

/**
 * A router's shared dtab store (`@switchyard/namers/dtab-store`, adapted by the integrator so the
 * admin does not depend on namers).
 */
export interface AdminDtabStoreView {
  /** `io.l5d.k8s` (a Dtab resource) or `io.l5d.fs` (a file). */
  readonly kind: string;
  /** The Dtab resource's (or file's) name. */
  readonly name: string;
  /** What the store holds now; `undefined` while nothing is stored or before its first answer. */
  current(): AdminStoredDtab | undefined;
  /**
   * Writes `dtab` if the stored version is still `expectedVersion` (`undefined`: only if nothing
   * is stored). A stale version is the `conflict` value; other failures reject.
   */
  update(dtab: Dtab, expectedVersion: string | undefined): Promise<AdminDtabStoreUpdate>;
}

/** One layer of a router stack as the admin prints it (Linkerd 1 printed its modules). */
export interface AdminLayerView {
  readonly role: string;
  readonly description: string;
}

/** A router's server, path and client stacks, each outermost first. */
export interface AdminStacksView {
  readonly server: readonly AdminLayerView[];
  readonly path: readonly AdminLayerView[];
  readonly client: readonly AdminLayerView[];
}

/** Something `/admin/ready` waits for: a Kubernetes watch, a file, a certificate. */
export interface ReadinessSource {
  readonly name: string;
  ready(): boolean;
}

/** A certificate in use, for the dashboard's expiry table. Times are wall-clock ms. */
export interface CertificateView {
  /** Where it is used: `http/0.0.0.0:443`, an SNI name, or `admin`. */
  readonly name: string;
  readonly subject: string;
  readonly issuer?: string;
  readonly sans?: readonly string[];
  readonly notBefore?: number;
  readonly notAfter: number;
  /** Where it was loaded from: a file path or `secret ns/name`. */
  readonly source?: string;
}

/**
 * One name whose certificate ACME manages (the shape of the ACME manager's per-name status), for
 * the dashboard's ACME rows. Times are wall-clock ms.
 */
export interface AcmeCertificateView {
  /** The host name. */
  readonly name: string;
  /** The issuing CA of the certificate served now, when there is one. */
  readonly issuer?: string;
  /** Expiry of the certificate served now. */
  readonly notAfter?: number;
  /** When an order was last attempted. */
  readonly lastAttemptAt?: number;
  /** Why the last attempt failed (absent after a success). */
  readonly lastError?: string;
  /** The manager's state for the name, e.g. `valid` (a certificate is served) or `none`. */
  readonly state: string;
}
