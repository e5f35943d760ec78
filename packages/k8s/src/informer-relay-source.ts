/**
 * The source side of the informer relay (see informer-relay.ts): the real informers, one client
 * and informer set per API connection, serving every attached receiver.
 */
import type { Dispose } from '@switchyard/core';
import { createKubeClient, type KubeClient } from './client.js';
import type { KubeConnectionConfig } from './connection.js';
import {
  INFORMER_RELAY_VERSION,
  isInformerRelayMessage,
  type RelayedEvent,
  type RelayPort,
} from './informer-relay.js';
import { type InformerLease, type SharedInformers, sharedInformers } from './shared.js';
import type { KubeObject } from './types.js';

/** What makes two connections the same client (server, TLS, credentials, proxy, impersonation). */
function connectionKey(c: KubeConnectionConfig): string {
  return JSON.stringify([c.server, c.tls, c.credentials, c.proxyUrl ?? null, c.impersonate ?? null]);
}

/** The source side, see {@link serveRelayedInformers}. */
export interface RelayedInformersServer {
  /** Serves the receiver at the other end of `port`; the dispose releases all its leases (call it when that peer is gone). */
  attach(port: RelayPort): Dispose;
  /** Number of running informers (over every connection). */
  readonly size: number;
  /** Stops every informer and closes the clients it made. */
  close(): Promise<void>;
}

/**
 * The source side: one client and one {@link sharedInformers} per API connection, shared by every
 * attached receiver, so N receivers watching the same resource and selector make one watch.
 * `informersFor` overrides how a connection's informers are made (tests).
 */
export function serveRelayedInformers(
  options: { readonly informersFor?: (connection: KubeConnectionConfig) => SharedInformers } = {},
): RelayedInformersServer {
  const connections = new Map<string, { client: KubeClient | undefined; informers: SharedInformers }>();
  const informersFor = (connection: KubeConnectionConfig): SharedInformers => {
    const key = connectionKey(connection);
    let c = connections.get(key);
    if (c === undefined) {
      if (options.informersFor) c = { client: undefined, informers: options.informersFor(connection) };
      else {
        const client = createKubeClient(connection);
        c = { client, informers: sharedInformers(client) };
      }
      connections.set(key, c);
    }
    return c.informers;
  };
  return {
    attach(port) {
      const leases = new Map<number, InformerLease<KubeObject>>();
      const off = port.onMessage((message) => {
        if (!isInformerRelayMessage(message)) return;
        if (message.op === 'release') {
          leases.get(message.lease)?.release();
          leases.delete(message.lease);
          return;
        }
        if (message.op !== 'acquire' || leases.has(message.lease)) return;
        const { lease: id } = message;
        const lease = informersFor(message.connection).acquire(message.resource, message.selector);
        leases.set(id, lease);
        port.send({
          kind: 'informers',
          v: INFORMER_RELAY_VERSION,
          op: 'snapshot',
          lease: id,
          items: lease.snapshot(),
          resourceVersion: lease.resourceVersion,
          synced: lease.isSynced,
          ...(lease.lastError ? { error: lease.lastError.message } : {}),
        });
        // After the snapshot, every change in the source's order (no replay: the snapshot was it).
        lease.subscribe(
          (event) => {
            port.send({
              kind: 'informers',
              v: INFORMER_RELAY_VERSION,
              op: 'event',
              lease: id,
              event:
                event.kind === 'synced'
                  ? event
                  : ({ kind: event.kind, object: event.object } as RelayedEvent),
              resourceVersion: lease.resourceVersion,
            });
          },
          { replay: false },
        );
      });
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        off();
        for (const lease of leases.values()) lease.release();
        leases.clear();
      };
    },
    get size() {
      let n = 0;
      for (const c of connections.values()) n += c.informers.size;
      return n;
    },
    async close() {
      for (const c of connections.values()) {
        c.informers.close();
        await c.client?.close();
      }
      connections.clear();
    },
  };
}
