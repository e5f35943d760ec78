/**
 * The `io.l5d.httproute` identifier kind: Gateway API HTTPRoutes (see docs/gateway-api.md).
 * Without `dir` it reads the Kubernetes API like `io.l5d.ingress` (same `host`/`port` options,
 * same shared client and watches) and writes status while it holds a `coordination.k8s.io` Lease;
 * with `dir` it reads a watched directory of manifests.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Var } from '@switchyard/core';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  type HttpRouteIdentifier,
  httpRouteFiltersLayer,
  startGatewayStatusWriter,
} from '@switchyard/identifiers/gateway';
import { type KubeClient, secretCertificateSource } from '@switchyard/k8s';
import type { RouterContext } from '@switchyard/router';
import { gatewayHttpsHosts } from '../acme-hosts.js';
import type { BuildContext } from '../build-context.js';
import type { KindCategory } from '../registry.js';
import {
  boolean,
  list,
  number,
  object,
  optional,
  port,
  refine,
  reject,
  rejectField,
  string,
  withDefault,
} from '../schema.js';
import type { BuiltIdentifier } from './identifiers.js';
import { apiFields, where } from './kubernetes.js';

/** The default name of the Lease whose holder writes Gateway API status. */
export const DEFAULT_STATUS_LEASE = 'switchyard-gateway-status';

const statusSchema = refine(
  object({
    write: withDefault(boolean(), true, 'Write status (while holding the Lease); false: never.'),
    leaseName: withDefault(
      string({ nonEmpty: true }),
      DEFAULT_STATUS_LEASE,
      'Name of the coordination.k8s.io Lease replicas elect the status writer with.',
    ),
    leaseNamespace: optional(
      string({ nonEmpty: true }),
      'Namespace of the Lease; default the `namespace` option, else `default`.',
    ),
    leaseDurationMs: withDefault(
      number({ integer: true, min: 1 }),
      15_000,
      'How long a Lease is held without renewal.',
    ),
    renewDeadlineMs: withDefault(
      number({ integer: true, min: 1 }),
      10_000,
      'How long the holder keeps trying to renew before stepping down.',
    ),
    retryPeriodMs: withDefault(
      number({ integer: true, min: 1 }),
      2_000,
      'Interval between election attempts.',
    ),
  }),
  (st) =>
    st.leaseDurationMs < 1000
      ? rejectField(['leaseDurationMs'], 'must be at least 1000 (the Lease holds whole seconds)')
      : st.renewDeadlineMs >= st.leaseDurationMs
        ? rejectField(['renewDeadlineMs'], `must be less than leaseDurationMs (${st.leaseDurationMs})`)
        : st.renewDeadlineMs <= st.retryPeriodMs * 1.2
          ? rejectField(
              ['retryPeriodMs'],
              `× 1.2 (jitter) must be less than renewDeadlineMs (${st.renewDeadlineMs})`,
            )
          : st,
);

interface StatusOptions {
  readonly write: boolean;
  readonly leaseName: string;
  readonly leaseNamespace?: string | undefined;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/**
 * Starts the leader-gated status writer: one Lease per (namespace, name), so that of several
 * replicas only the holder writes; a new holder reconciles at once.
 */
function startStatus(
  identifier: HttpRouteIdentifier,
  client: KubeClient,
  o: {
    readonly controllerName: string;
    readonly namespace?: string | undefined;
    readonly status: StatusOptions;
  },
  c: BuildContext,
): void {
  const elector = c.leaderElector({
    client,
    namespace: o.status.leaseNamespace ?? o.namespace ?? 'default',
    name: o.status.leaseName,
    identity: `${hostname()}_${process.pid}_${randomBytes(3).toString('hex')}`,
    leaseDurationMs: o.status.leaseDurationMs,
    renewDeadlineMs: o.status.renewDeadlineMs,
    retryPeriodMs: o.status.retryPeriodMs,
    clock: c.clock,
  });
  const writer = startGatewayStatusWriter({
    identifier,
    client,
    isLeader: () => elector.isLeader(),
    controllerName: o.controllerName,
    clock: c.clock,
  });
  const unsubscribe = elector.onChange((leader) => {
    if (leader) void writer.reconcile();
  });
  c.onClose(async () => {
    unsubscribe();
    writer.stop();
    await elector.close();
  });
}

/** Adds `io.l5d.httproute` to the identifier category. */
export function registerGatewayKinds(kinds: {
  readonly identifier: KindCategory<BuiltIdentifier, BuildContext>;
}): void {
  kinds.identifier.register({
    kind: 'io.l5d.httproute',
    doc: 'Routes by Gateway API HTTPRoutes attached to our Gateways to /<dstPrefix>/<namespace>/<port>/<service>.',
    schema: object({
      ...apiFields(),
      controllerName: withDefault(
        string({ nonEmpty: true }),
        DEFAULT_GATEWAY_CONTROLLER,
        'GatewayClass spec.controllerName this controller serves.',
      ),
      gatewayClassName: optional(
        string({ nonEmpty: true }),
        'Serve Gateways of this class name instead (no GatewayClass object needed).',
      ),
      namespace: optional(
        string({ nonEmpty: true }),
        'Only Gateways, routes and ReferenceGrants of this namespace; default all.',
      ),
      dir: optional(
        string({ nonEmpty: true }),
        'Read Gateway API manifests from this directory (watched) instead of the Kubernetes API.',
      ),
      ports: optional(
        refine(list(port(), { nonEmpty: true }), (ports) =>
          ports.includes(0) ? reject('listener ports must be 1–65535') : ports,
        ),
        'Serve only Gateway listeners on these ports; default every HTTP/HTTPS listener.',
      ),
      syncTimeoutMs: withDefault(
        number({ integer: true, min: 0 }),
        10_000,
        'Wait this long for the first sync before answering.',
      ),
      mirror: optional(
        object({
          maxInFlight: optional(
            number({ integer: true, min: 1 }),
            'RequestMirror copies in flight in the router at most (more are dropped, counted); default 64.',
          ),
          maxBodyBytes: optional(
            number({ integer: true, min: 0 }),
            'A request body longer than this is not copied (counted as skipped); default: any buffered body.',
          ),
          timeoutMs: optional(
            number({ integer: true, min: 1 }),
            'Longest a copy may take (binding, connecting, the whole response), ms; default 10000.',
          ),
        }),
        'Bounds on RequestMirror copies (fire-and-forget; the real request never waits for them).',
      ),
      status: optional(
        statusSchema,
        'Status writing with the Kubernetes API (leader election by Lease); default on, Lease switchyard-gateway-status.',
      ),
    }),
    build: async (o, c) => {
      const api = where(o);
      const client = o.dir ? undefined : await c.kubeClient(api);
      const informers = o.dir ? undefined : await c.kubeInformers(api);
      const identifier = createHttpRouteIdentifier({
        source: o.dir
          ? { kind: 'directory', dir: resolve(c.baseDir, o.dir) }
          : { kind: 'kubernetes', client: client!, informers: informers! },
        dstPrefix: c.router?.dstPrefix ?? '/svc',
        controllerName: o.controllerName,
        ...(o.gatewayClassName ? { gatewayClassName: o.gatewayClassName } : {}),
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ...(o.ports ? { ports: o.ports } : {}),
        syncTimeoutMs: o.syncTimeoutMs,
        ...(o.mirror ? { mirror: o.mirror } : {}),
        stats: c.stats.scope('identifier', 'io.l5d.httproute'),
        clock: c.clock,
      });
      c.onClose(() => identifier.close());
      const status: StatusOptions = o.status ?? {
        write: true,
        leaseName: DEFAULT_STATUS_LEASE,
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      };
      if (client !== undefined && status.write) startStatus(identifier, client, { ...o, status }, c);
      c.addReadiness({ name: 'io.l5d.httproute', ready: () => identifier.isSynced });
      // HTTPS listener certificateRefs become SNI certificates on the router's TLS servers.
      const certificates =
        client && informers
          ? secretCertificateSource(client, {
              informers,
              names: Var.map(identifier.tlsSecrets, (secrets) =>
                secrets.map((s) => ({ namespace: s.namespace, name: s.secretName })),
              ),
            })
          : undefined;
      return {
        kind: 'io.l5d.httproute',
        identifier,
        // RequestRedirect and ResponseHeaderModifier need the response: a layer before identify.
        layer: httpRouteFiltersLayer<RouterContext>(identifier),
        ...(certificates ? { certificates } : {}),
        tlsHosts: gatewayHttpsHosts(identifier),
        rules: () =>
          identifier.rules().map((r) => ({
            ingress: `HTTPRoute ${r.route} rule ${r.rule}`,
            ...(r.hostname !== '*' ? { host: r.hostname } : {}),
            path: r.match,
            dst: r.target,
            backend: r.target,
          })),
      };
    },
  });
}
