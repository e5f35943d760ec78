/**
 * The `io.l5d.k8s` namer's way to the API server: the client (given, built from a config or
 * Linkerd 1's `host`/`port`, else in-cluster/kubeconfig auto-configuration) with its shared
 * informers, and the discovery of where endpoints are read from — EndpointSlices unless the API
 * server does not serve them. Both are made once, on first use.
 */
import type { Clock } from '@switchyard/core';
import {
  autoConfig,
  backoffDelay,
  createKubeClient,
  ENDPOINT_SLICE_V1,
  KubeApiError,
  type KubeClient,
  type KubeConnectionConfig,
  type SharedInformers,
  sharedInformers,
  urlConfig,
} from '@switchyard/k8s';
import { K8sNamerConnectError } from './errors.js';

/** Where endpoints are read from. `auto` uses EndpointSlices unless the API answers 404 for them. */
export type K8sDiscovery = 'auto' | 'endpointSlices' | 'endpoints';

/** Where endpoints are read from, once discovered. */
export type EndpointsMode = 'endpointSlices' | 'endpoints';

/** The namer options that choose the connection (see `K8sNamerOptions`). */
export interface ConnectionOptions {
  readonly client?: KubeClient;
  readonly config?: KubeConnectionConfig;
  readonly host?: string;
  readonly port?: number;
  readonly informers?: SharedInformers;
  readonly discovery?: K8sDiscovery;
  readonly clock?: Clock;
}

/** A client with its informers, and (from {@link NamerConnection.connect}) the discovered mode. */
export interface Connected {
  readonly client: KubeClient;
  readonly informers: SharedInformers;
}

/** The lazily made connection of one namer. */
export interface NamerConnection {
  /** The client and informers, without waiting for discovery. Rejects with `K8sNamerConnectError`. */
  client(): Promise<Connected>;
  /** The client, informers and the discovered mode. */
  connect(): Promise<Connected & { readonly mode: EndpointsMode }>;
  /** The mode found so far (`unknown` until discovery answered). */
  discovered(): 'unknown' | EndpointsMode;
  /** Ends a discovery still retrying and closes a client the connection built. */
  close(): void;
}

/** Makes the connection of a namer with these options; nothing happens before the first call. */
export function namerConnection(options: ConnectionOptions): NamerConnection {
  let discovered: 'unknown' | EndpointsMode = 'unknown';
  let ownedClient: KubeClient | undefined;
  let closed = false;

  let clientReady: Promise<Connected> | undefined;
  function client(): Promise<Connected> {
    clientReady ??= (async () => {
      let client = options.client;
      if (client === undefined) {
        let config = options.config;
        if (config === undefined && options.host !== undefined) {
          config = urlConfig(`http://${options.host}:${options.port ?? 8001}`);
        }
        if (config === undefined) {
          try {
            config = await autoConfig();
          } catch (cause) {
            throw new K8sNamerConnectError({ cause });
          }
        }
        ownedClient = createKubeClient(config, options.clock ? { clock: options.clock } : {});
        client = ownedClient;
      }
      return { client, informers: options.informers ?? sharedInformers(client) };
    })();
    return clientReady;
  }

  let connection: Promise<Connected & { readonly mode: EndpointsMode }> | undefined;
  function connect(): Promise<Connected & { readonly mode: EndpointsMode }> {
    connection ??= (async () => {
      const c = await client();
      const mode = await discover(c.client);
      discovered = mode;
      return { ...c, mode };
    })();
    return connection;
  }

  /** EndpointSlices unless the API server does not serve them (404); retried on other errors. */
  async function discover(client: KubeClient): Promise<EndpointsMode> {
    const d = options.discovery ?? 'auto';
    if (d !== 'auto') return d;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.list(ENDPOINT_SLICE_V1, { limit: 1 });
        return 'endpointSlices';
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) return 'endpoints';
        // 403 (no cluster-wide list) still proves the API exists.
        if (err instanceof KubeApiError && err.status === 403) return 'endpointSlices';
        if (closed) return 'endpointSlices';
        const ms = backoffDelay(attempt, client.random);
        await new Promise<void>((resolve) => client.clock.setTimeout(resolve, ms));
      }
    }
  }

  return {
    client,
    connect,
    discovered: () => discovered,
    close() {
      closed = true;
      void ownedClient?.close();
    },
  };
}
