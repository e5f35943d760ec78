/**
 * Kubernetes kinds: the `io.l5d.k8s` namer and the `io.l5d.ingress` identifier. Without
 * `host`/`port` they find the API server like kubectl does (in-cluster service account, then
 * kubeconfig, then `kubectl proxy` on 127.0.0.1:8001); with them, plain HTTP as Linkerd 1 did.
 * Both share one client and one set of watches per API server.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Var } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { createIngressIdentifier } from '@switchyard/identifiers/ingress';
import { secretCertificateSource } from '@switchyard/k8s';
import { createK8sNamer } from '@switchyard/namers/k8s';
import type { BuildContext } from '../build-context.js';
import { directoryProblems } from '../file-checks.js';
import type { KindCategory } from '../registry.js';
import { boolean, number, object, optional, port, string, withDefault } from '../schema.js';
import type { BuiltIdentifier } from './identifiers.js';
import { type BuiltNamer, experimentalField, prefixField } from './namers.js';

/** The API connection options shared by every Kubernetes-backed kind (`host`, `port`). */
export const apiFields = () => ({
  host: optional(
    string({ nonEmpty: true }),
    'API host over plain HTTP (e.g. kubectl proxy); default: in-cluster or kubeconfig.',
  ),
  port: optional(port(), 'API port with `host`; default 8001.'),
});

/** The connection of `apiFields` options, as `BuildContext.kubeClient` takes it. */
export function where(o: { host?: string | undefined; port?: number | undefined }) {
  return {
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
  };
}

/** Adds the Kubernetes kinds to the given categories. */
export function registerKubernetesKinds(kinds: {
  readonly namer: KindCategory<BuiltNamer, BuildContext>;
  readonly identifier: KindCategory<BuiltIdentifier, BuildContext>;
}): void {
  kinds.namer.register({
    kind: 'io.l5d.k8s',
    doc: 'Resolves /<namespace>/<port>/<service> to the ready endpoints of a Service (EndpointSlices, live).',
    schema: object({
      ...apiFields(),
      prefix: prefixField('/io.l5d.k8s'),
      labelSelector: optional(string(), 'Label key: paths gain a /<labelValue> segment selecting endpoints.'),
      allNamespaces: withDefault(
        boolean(),
        false,
        "Watch Services and endpoints of every namespace from start (an ingress's choice); default: per namespace at its first lookup, as Linkerd 1.",
      ),
      experimental: experimentalField(),
    }),
    build: async (o, c) => {
      const namer = createK8sNamer({
        client: await c.kubeClient(where(o)),
        informers: await c.kubeInformers(where(o)),
        prefix: o.prefix,
        ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
        allNamespaces: o.allNamespaces,
        stats: c.stats.scope('namer', 'io.l5d.k8s'),
        clock: c.clock,
      });
      c.onClose(() => namer.close());
      return { kind: 'io.l5d.k8s', prefix: Path.read(o.prefix), namer };
    },
  });

  kinds.identifier.register({
    kind: 'io.l5d.ingress',
    doc: 'Routes by Kubernetes Ingress host/path rules to /<dstPrefix>/<namespace>/<port>/<service>.',
    schema: object({
      ...apiFields(),
      namespace: optional(string({ nonEmpty: true }), 'Only Ingresses of this namespace; default all.'),
      ingressClassAnnotation: withDefault(
        string({ nonEmpty: true }),
        'linkerd',
        'Value of kubernetes.io/ingress.class this controller serves.',
      ),
      controller: withDefault(
        string({ nonEmpty: true }),
        'switchyard.dev/ingress',
        'IngressClass spec.controller this controller serves.',
      ),
      ignoreDefaultBackends: withDefault(boolean(), false, 'Never route to Ingress default backends.'),
      compat: withDefault(
        string({ values: ['default', 'linkerd1'] }),
        'default',
        'default: Ingress v1 semantics; linkerd1: Linkerd 1.x regex paths and first-match order.',
      ),
      ingressDir: optional(
        string({ nonEmpty: true }),
        'Read Ingress manifests from this directory (watched) instead of the Kubernetes API.',
      ),
      statusAddress: optional(
        object({
          ip: optional(string(), 'Address to publish in status.loadBalancer.ingress.'),
          hostname: optional(string(), 'Hostname to publish instead of an IP.'),
          service: optional(string(), 'namespace/name of a LoadBalancer Service whose address to publish.'),
        }),
        'Write status.loadBalancer.ingress on served Ingresses.',
      ),
      statusLeaderElection: optional(
        object({
          namespace: withDefault(string({ nonEmpty: true }), 'default', 'Namespace of the Lease.'),
          name: withDefault(string({ nonEmpty: true }), 'switchyard-ingress-status', 'Name of the Lease.'),
          identity: optional(
            string({ nonEmpty: true }),
            "This replica's identity; default <hostname>_<uuid>.",
          ),
          leaseDurationMs: withDefault(
            number({ integer: true, min: 1000 }),
            15_000,
            'How long a lease lasts without renewal.',
          ),
          renewDeadlineMs: withDefault(
            number({ integer: true, min: 1 }),
            10_000,
            'The leader steps down when it could not renew for this long.',
          ),
          retryPeriodMs: withDefault(number({ integer: true, min: 1 }), 2_000, 'Interval between attempts.'),
        }),
        'With several replicas: only the holder of this coordination.k8s.io/v1 Lease writes status.',
      ),
      syncTimeoutMs: withDefault(
        number({ integer: true, min: 0 }),
        10_000,
        'Wait this long for the first sync before answering.',
      ),
    }),
    build: async (o, c) => {
      const client = o.ingressDir ? undefined : await c.kubeClient(where(o));
      const informers = o.ingressDir ? undefined : await c.kubeInformers(where(o));
      const source = o.ingressDir
        ? ({ kind: 'directory', dir: resolve(c.baseDir, o.ingressDir) } as const)
        : ({
            kind: 'kubernetes',
            client: client!,
            informers: informers!,
          } as const);
      const status = o.statusAddress;
      const election = o.statusLeaderElection;
      const elector =
        client && status && election
          ? c.leaderElector({
              client,
              namespace: election.namespace,
              name: election.name,
              identity: election.identity ?? `${hostname()}_${randomUUID()}`,
              leaseDurationMs: election.leaseDurationMs,
              renewDeadlineMs: election.renewDeadlineMs,
              retryPeriodMs: election.retryPeriodMs,
            })
          : undefined;
      const [serviceNamespace, serviceName] = status?.service?.split('/') ?? [];
      const identifier = createIngressIdentifier({
        source,
        dstPrefix: c.router?.dstPrefix ?? '/svc',
        ingressClassAnnotation: o.ingressClassAnnotation,
        controllerName: o.controller,
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ignoreDefaultBackends: o.ignoreDefaultBackends,
        compat: o.compat as 'default' | 'linkerd1',
        syncTimeoutMs: o.syncTimeoutMs,
        ...(serviceNamespace && serviceName
          ? { statusAddress: { kind: 'service', namespace: serviceNamespace, name: serviceName } as const }
          : status && (status.ip || status.hostname)
            ? {
                statusAddress: {
                  kind: 'static',
                  ...(status.ip ? { ip: status.ip } : {}),
                  ...(status.hostname ? { hostname: status.hostname } : {}),
                } as const,
              }
            : {}),
        ...(elector ? { statusLeadership: elector } : {}),
        stats: c.stats.scope('identifier', 'io.l5d.ingress'),
        clock: c.clock,
      });
      c.onClose(() => identifier.close());
      // Closing releases a held Lease, so another replica takes over without waiting for expiry.
      if (elector) c.onClose(() => elector.close());
      c.addReadiness({ name: 'io.l5d.ingress', ready: () => identifier.isSynced });
      // Ingress spec.tls Secrets become SNI certificates on the router's TLS servers.
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
        kind: 'io.l5d.ingress',
        identifier,
        ...(certificates ? { certificates } : {}),
        tlsHosts: Var.map(identifier.tlsSecrets, (secrets) => [...new Set(secrets.flatMap((s) => s.hosts))]),
        rules: () =>
          identifier.rules().map((rule) => ({
            ingress: rule.ingress,
            ...(rule.host !== '*' ? { host: rule.host } : {}),
            ...(rule.path !== undefined ? { path: `${rule.path} (${rule.match})` } : {}),
            dst: rule.name,
            backend: `${rule.backend.service}:${rule.backend.port}`,
            ...(rule.match === 'default' ? { defaultBackend: true } : {}),
          })),
      };
    },
    validate: async (o, c) => [
      ...(o.ingressDir ? await directoryProblems('ingressDir', resolve(c.baseDir, o.ingressDir)) : []),
      ...electionProblems(o.statusLeaderElection),
    ],
  });
}

/** client-go's timing rules for an election (createLeaderElector would refuse to start otherwise). */
function electionProblems(
  e: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } | undefined,
): { field: string; message: string }[] {
  if (e === undefined) return [];
  const problems: { field: string; message: string }[] = [];
  if (!(e.leaseDurationMs > e.renewDeadlineMs)) {
    problems.push({
      field: 'statusLeaderElection.renewDeadlineMs',
      message: `must be less than leaseDurationMs (${e.leaseDurationMs}), got ${e.renewDeadlineMs}`,
    });
  }
  if (!(e.renewDeadlineMs > e.retryPeriodMs * 1.2)) {
    problems.push({
      field: 'statusLeaderElection.retryPeriodMs',
      message: `× 1.2 must be less than renewDeadlineMs (${e.renewDeadlineMs}), got ${e.retryPeriodMs}`,
    });
  }
  return problems;
}
