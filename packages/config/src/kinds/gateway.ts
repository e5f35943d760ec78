/**
 * The `io.l5d.httproute` identifier kind: Gateway API HTTPRoutes (see docs/gateway-api.md).
 * Without `dir` it reads the Kubernetes API like `io.l5d.ingress` (same `host`/`port` options,
 * same shared client and watches); with `dir` it reads a watched directory of manifests.
 */
import { resolve } from 'node:path';
import { Var } from '@switchyard/core';
import {
  createHttpRouteIdentifier,
  DEFAULT_GATEWAY_CONTROLLER,
  httpRouteFiltersLayer,
} from '@switchyard/identifiers/gateway';
import { secretCertificateSource } from '@switchyard/k8s';
import type { RouterContext } from '@switchyard/router';
import type { BuildContext } from '../build-context.js';
import type { KindCategory } from '../registry.js';
import { list, number, object, optional, port, refine, reject, string, withDefault } from '../schema.js';
import type { BuiltIdentifier } from './identifiers.js';

/** Adds `io.l5d.httproute` to the identifier category. */
export function registerGatewayKinds(kinds: {
  readonly identifier: KindCategory<BuiltIdentifier, BuildContext>;
}): void {
  kinds.identifier.register({
    kind: 'io.l5d.httproute',
    doc: 'Routes by Gateway API HTTPRoutes attached to our Gateways to /<dstPrefix>/<namespace>/<port>/<service>.',
    schema: object({
      host: optional(
        string({ nonEmpty: true }),
        'API host over plain HTTP (e.g. kubectl proxy); default: in-cluster or kubeconfig.',
      ),
      port: optional(port(), 'API port with `host`; default 8001.'),
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
    }),
    build: async (o, c) => {
      const api = {
        ...(o.host !== undefined ? { host: o.host } : {}),
        ...(o.port !== undefined ? { port: o.port } : {}),
      };
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
        stats: c.stats.scope('identifier', 'io.l5d.httproute'),
        clock: c.clock,
      });
      c.onClose(() => identifier.close());
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
