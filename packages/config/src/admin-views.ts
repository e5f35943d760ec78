/** Adapts running routers, TLS terminators, ACME managers and dtab stores to the admin's views. */

import type {
  AcmeCertificateView,
  AdminDtabStoreView,
  AdminRouterView,
  CertificateView,
} from '@switchyard/admin';
import { Activity, type NameInterpreter } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { DtabStoreConflictError } from '@switchyard/namers/dtab-store';
import type { BuiltRouter } from './build-router.js';
import type { AttachedDtabStore } from './dtab-store.js';
import { paramsFor } from './static-policies.js';

/**
 * The admin's view of a router's dtab store: a stale write (`DtabStoreConflictError`, Kubernetes'
 * 409 or a changed file) is the `conflict` value the admin answers 409 with.
 */
export function dtabStoreView(attached: AttachedDtabStore): AdminDtabStoreView {
  return {
    kind: attached.kind,
    name: attached.name,
    current: () => attached.stored(),
    update: async (dtab, expectedVersion) => {
      try {
        return { kind: 'updated', stored: await attached.update(dtab, expectedVersion) };
      } catch (error) {
        if (error instanceof DtabStoreConflictError) return { kind: 'conflict', message: error.message };
        throw error;
      }
    },
  };
}

/**
 * The admin's view of one router: servers, dtab, delegator, clients, ingress routing table, and
 * its dtab store when it has one.
 */
export function adminView(
  built: BuiltRouter,
  /** Read per request: a config reload may replace the namers (and so the interpreter). */
  interpreterOf: () => NameInterpreter,
  /** Read per request: a config reload may add, change or remove the router's dtab store. */
  storeOf: () => AttachedDtabStore | undefined = () => undefined,
): AdminRouterView {
  const { router } = built;
  const ingress = () => built.identifiers.built.find((i) => i.rules);
  let viewed: { store: AttachedDtabStore; view: AdminDtabStoreView } | undefined;
  return {
    label: router.label,
    get dtabStore(): AdminDtabStoreView | undefined {
      const store = storeOf();
      if (store === undefined) return undefined;
      if (viewed?.store !== store) viewed = { store, view: dtabStoreView(store) };
      return viewed.view;
    },
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
      Activity.toPromise(interpreterOf().delegate(Dtab.concat(router.dtab, local), path)),
    clients: () =>
      router.clients().map((c) => ({
        id: c.id,
        balancer: paramsFor(built.config.client, c.id.split('/').slice(1)).loadBalancer?.kind ?? 'p2c',
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

/**
 * The names a router's ACME managers hold, for the dashboard's ACME rows (from each manager's
 * per-name `view()`).
 */
export function acmeViews(built: BuiltRouter): AcmeCertificateView[] {
  return built.acmeManagers.flatMap((manager) =>
    manager.view().map((c) => ({
      name: c.host,
      state: c.status,
      ...(c.issuer === undefined ? {} : { issuer: c.issuer }),
      ...(c.notAfter === undefined ? {} : { notAfter: c.notAfter }),
      ...(c.lastAttempt === undefined ? {} : { lastAttemptAt: c.lastAttempt }),
      ...(c.lastError === undefined ? {} : { lastError: `${c.lastError.code}: ${c.lastError.message}` }),
    })),
  );
}
