/**
 * The Kubernetes side both identifier sources share: use the given client or build one (a
 * connection config, else in-cluster / kubeconfig discovery) and own it, share watches through
 * the informers, skip resources the cluster does not serve (a 404 on a one-item list: no such
 * CRD or API version), deliver each resource's events, report "synced" once every watch has
 * listed, and on stop release the watches and close an owned client.
 */
import type { Dispose } from '@switchyard/core';
import {
  autoConfig,
  createKubeClient,
  type InformerLease,
  KubeApiError,
  type KubeClient,
  type KubeConnectionConfig,
  type KubeObject,
  type ResourceDescriptor,
  type SharedInformers,
  sharedInformers,
} from '@switchyard/k8s';

/** How to reach the API: a client, a connection config, or neither (automatic discovery). */
export interface KubeConnection {
  readonly client?: KubeClient;
  readonly config?: KubeConnectionConfig;
  readonly informers?: SharedInformers;
}

/** One resource to watch. */
export interface WatchedResource {
  readonly resource: ResourceDescriptor<KubeObject>;
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  /** Probe first and skip the resource when the cluster does not serve it (404). */
  readonly optional?: boolean;
  upsert(object: KubeObject): void;
  remove(object: KubeObject): void;
}

/** A started set of watches. */
export interface RunningKubeWatch {
  readonly stop: Dispose;
  /** The client and informers once known (`undefined` when stopped first). */
  readonly kube: Promise<{ client: KubeClient; informers: SharedInformers } | undefined>;
}

/** Watches `resources` in order, then calls `synced` once all have listed. */
export function watchKubernetes(
  connection: KubeConnection,
  resources: readonly WatchedResource[],
  synced: () => void,
): RunningKubeWatch {
  let stopped = false;
  const leases: InformerLease<KubeObject>[] = [];
  let ownedClient: KubeClient | undefined;
  const kube = (async () => {
    let client = connection.client;
    if (client === undefined) {
      ownedClient = createKubeClient(connection.config ?? (await autoConfig()));
      client = ownedClient;
    }
    const informers = connection.informers ?? sharedInformers(client);
    const listed: Promise<unknown>[] = [];
    for (const r of resources) {
      if (stopped) return undefined;
      if (r.optional) {
        try {
          await client.list(r.resource, { limit: 1 });
        } catch (err) {
          // Not served by this cluster: nothing of that kind. Other errors: the informer retries.
          if (err instanceof KubeApiError && err.status === 404) continue;
        }
        if (stopped) return undefined;
      }
      const lease = informers.acquire(r.resource, {
        ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
        ...(r.labelSelector !== undefined ? { labelSelector: r.labelSelector } : {}),
      });
      leases.push(lease);
      lease.subscribe((e) => {
        if (e.kind === 'added' || e.kind === 'modified') r.upsert(e.object);
        else if (e.kind === 'deleted') r.remove(e.object);
      });
      listed.push(lease.synced);
    }
    await Promise.all(listed);
    if (!stopped) synced();
    return { client, informers };
  })();
  return {
    stop: () => {
      stopped = true;
      for (const l of leases.splice(0)) l.release();
      void ownedClient?.close();
    },
    kube,
  };
}
