/** Adapts running routers and TLS terminators to the views the admin server reads. */
import type { AdminRouterView, CertificateView } from '@switchyard/admin';
import { Activity, type NameInterpreter } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import type { BuiltRouter } from './build-router.js';

/** The admin's view of one router: servers, dtab, delegator, clients, ingress routing table. */
export function adminView(built: BuiltRouter, interpreter: NameInterpreter): AdminRouterView {
  const { router } = built;
  const ingress = () => built.identifiers.built.find((i) => i.rules);
  return {
    label: router.label,
    servers: () =>
      router.servers.map((s, i) => ({
        ip: s.ip,
        port: s.port,
        connections: s.connections,
        tls: built.config.servers[i]?.tls?.enabled === true,
      })),
    dtab: () => router.dtab,
    stacks: () => router.stacks,
    delegate: (path: Path, local: Dtab) =>
      Activity.toPromise(interpreter.delegate(Dtab.concat(router.dtab, local), path)),
    clients: () =>
      router.clients().map((c) => ({
        id: c.id,
        balancer: built.config.client?.loadBalancer?.kind ?? 'p2c',
        size: c.balancer.size,
        available: c.balancer.available,
        endpoints: c.endpoints.map((e) => ({
          host: e.host,
          port: e.port,
          load: e.pending,
          weight: e.weight,
          state: e.state,
        })),
      })),
    ingressRules: () => {
      const rules = ingress()?.rules?.() ?? [];
      if (rules.length === 0) return rules;
      const clients = new Map(router.clients().map((c) => [c.id, c]));
      return rules.map((rule) => {
        const ids = router.boundClientIds(Path.read(rule.dst));
        if (ids === undefined) return rule; // not bound yet: no request has used this name
        const ready = ids.reduce(
          (n, id) => n + (clients.get(id)?.endpoints.filter((e) => e.state !== 'dead').length ?? 0),
          0,
        );
        return { ...rule, readyEndpoints: ready };
      });
    },
  };
}

/** Certificates served by a router's TLS servers, for the dashboard's expiry table. */
export function certificateViews(built: BuiltRouter): CertificateView[] {
  return built.terminators.flatMap(({ server, terminator }) =>
    terminator.status().certificates.flatMap((c) =>
      c.kind === 'rejected'
        ? []
        : [
            {
              name: `${built.router.label}/${server.ip}:${server.port}`,
              subject: c.subject,
              sans: c.names,
              notAfter: c.notAfter,
              source: c.id,
            },
          ],
    ),
  );
}
