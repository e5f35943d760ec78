/**
 * A custom API gateway assembled from the Switchyard packages, no config file involved: it shows
 * that the reference ingress is one assembly among many. docs/build-your-own-gateway.md walks
 * through this file line by line (a test keeps the two identical).
 */
import { createAdminServer } from '@switchyard/admin';
import { consecutiveFailures, p2cPeakEwma, withFailureAccrual } from '@switchyard/balancers';
import { createInterpreter, createMetricsRegistry } from '@switchyard/core';
import { Dtab, Path } from '@switchyard/dtab';
import { createPathIdentifier } from '@switchyard/identifiers/http';
import { createFsNamer } from '@switchyard/namers/fs';
import {
  createRouter,
  headOf,
  type PathLayer,
  type ServerLayer,
  withHead,
  withHeaders,
} from '@switchyard/router';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** One file per service, one `host port` per line; edits apply without a restart. */
  readonly discoveryDir: string;
  /** Accepted values of the `x-api-key` request header. */
  readonly apiKeys: readonly string[];
  /** Gateway port (0 picks a free one). Default 0. */
  readonly port?: number;
  /** Admin port (0 picks a free one). Default 0. */
  readonly adminPort?: number;
}

/** A running gateway: where it listens, and how to stop it. */
export interface Gateway {
  readonly url: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

/** Starts the gateway: `GET /api/users/42` goes to service `users` as `GET /42`. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const metrics = createMetricsRegistry();
  const fs = createFsNamer({ rootDir: options.discoveryDir, stats: metrics.scope('namer', 'fs') });
  const keys = new Set(options.apiKeys);
  // Server stack, before identification: an unauthenticated request is not named or bound.
  const apiKey: ServerLayer = {
    kind: 'server',
    role: 'api-key',
    description: 'answers 401 unless x-api-key is a known key; never forwards the key',
    layer: (next) => (inbound) => {
      const key = inbound.head.headers['x-api-key'];
      if (typeof key !== 'string' || !keys.has(key)) {
        inbound.exchange.res
          .writeHead(401, { 'content-type': 'text/plain' })
          .end('missing or unknown x-api-key\n');
        return Promise.resolve();
      }
      return next(withHead(inbound, withHeaders(inbound.head, { 'x-api-key': undefined })));
    },
  };
  // Path stack, once the request is named and bound: tell the backend its logical name.
  const serviceHeader: PathLayer = {
    kind: 'path',
    role: 'service-header',
    description: 'x-gateway-service: the logical name',
    layer: (next) => (bound) => {
      const service = Path.show(bound.identified.dst);
      return next(withHead(bound, withHeaders(headOf(bound), { 'x-gateway-service': service })));
    },
  };
  const router = createRouter({
    label: 'gateway',
    servers: [{ port: options.port ?? 0, clearContext: true }],
    identifier: createPathIdentifier({ segments: 2, consume: true }),
    dtab: Dtab.read('/svc/api => /#/io.l5d.fs'),
    interpreter: createInterpreter({ namers: [{ prefix: ['#', ...fs.prefix], namer: fs }] }),
    balancer: withFailureAccrual(p2cPeakEwma(), consecutiveFailures({ failures: 5 })),
    layers: { server: [apiKey], path: [serviceHeader] },
    stats: metrics,
  });
  const admin = createAdminServer({ port: options.adminPort ?? 0, stats: metrics });
  const [server] = await router.listen();
  await admin.listen();
  return {
    url: `http://127.0.0.1:${server!.port}`,
    adminUrl: admin.url,
    close: async () => void (await Promise.all([router.close(), admin.close()])),
  };
}
