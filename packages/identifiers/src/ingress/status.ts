/**
 * Writes `status.loadBalancer.ingress` on the Ingresses we serve, which Linkerd 1 never did
 * (linkerd#1673): without it `kubectl get ingress` shows no ADDRESS and external-dns cannot
 * publish the host. The address is static, or follows a Service's LoadBalancer status (the
 * Service in front of the ingress controller's pods).
 */
import { channel } from 'node:diagnostics_channel';
import type { Clock, TimerHandle } from '@switchyard/core';
import {
  type InformerLease,
  type KubeClient,
  type KubeObject,
  type LoadBalancerIngress,
  type ResourceDescriptor,
  SERVICE_V1,
  type Service,
  type SharedInformers,
} from '@switchyard/k8s';
import { IngressStatusError } from './errors.js';
import type { IngressRecord } from './model.js';

/**
 * The address written into `status.loadBalancer.ingress`, discriminated on `kind`:
 * - `static`: `ip` and/or `hostname` (e.g. a cloud load balancer's DNS name);
 * - `service`: whatever the Service `namespace/name` has in `status.loadBalancer.ingress`
 *   (nothing is written while it has none).
 */
export type IngressStatusAddress =
  | { readonly kind: 'static'; readonly ip?: string; readonly hostname?: string }
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string };

/** Published on `switchyard:identifiers:ingressStatus` after each write: `{ object, ok, error? }`. */
export const INGRESS_STATUS_CHANNEL = 'switchyard:identifiers:ingressStatus';
const statusChannel = channel(INGRESS_STATUS_CHANNEL);

/**
 * Who may write: only the leader of an election writes, so several replicas write each status
 * once. The shape of `@switchyard/k8s`'s `LeaderElector` (only what the writer reads).
 */
export interface StatusLeadership {
  isLeader(): boolean;
  /** Called with `true` on gaining and `false` on losing leadership; returns a dispose function. */
  onChange(listener: (leader: boolean) => void): () => void;
}

/** A running status writer. */
export interface StatusWriter {
  /** The set of served Ingresses changed: reconcile soon. */
  changed(): void;
  stop(): void;
}

function normalize(list: readonly LoadBalancerIngress[] | undefined): LoadBalancerIngress[] {
  return (list ?? [])
    .map((x) => ({ ...(x.ip ? { ip: x.ip } : {}), ...(x.hostname ? { hostname: x.hostname } : {}) }))
    .filter((x) => x.ip !== undefined || x.hostname !== undefined);
}

/** Starts writing status for the records `served()` returns. */
export function startStatusWriter(options: {
  readonly address: IngressStatusAddress;
  readonly client: KubeClient;
  readonly informers: SharedInformers;
  readonly resource: ResourceDescriptor<KubeObject>;
  readonly served: () => Iterable<IngressRecord>;
  readonly clock: Clock;
  readonly retryMs?: number;
  /** Absent: this replica always writes. Present: only while it leads. */
  readonly leadership?: StatusLeadership;
}): StatusWriter {
  const { address, client, clock } = options;
  let stopped = false;
  let scheduled = false;
  let retry: TimerHandle | undefined;
  /** Ingress key → the resourceVersion we last patched, so one version is never patched twice. */
  const written = new Map<string, string>();
  let lease: InformerLease<Service> | undefined;
  let desired: LoadBalancerIngress[] = [];

  if (address.kind === 'static') {
    desired = normalize([{ ip: address.ip, hostname: address.hostname }]);
  } else {
    lease = options.informers.acquire(SERVICE_V1, {
      namespace: address.namespace,
      fieldSelector: `metadata.name=${address.name}`,
    });
    lease.subscribe((e) => {
      if (e.kind === 'synced') return;
      const svc = lease?.get(address.namespace, address.name);
      desired = normalize(svc?.status?.loadBalancer?.ingress);
      changed();
    });
  }

  // A new leader starts from what it sees: statuses written under an earlier leadership are
  // checked again (the objects themselves say whether they still need a write).
  const stopLeadership = options.leadership?.onChange((leader) => {
    if (!leader) return;
    written.clear();
    changed();
  });

  async function reconcile(): Promise<void> {
    if (stopped || desired.length === 0) return;
    if (options.leadership && !options.leadership.isLeader()) return;
    const want = JSON.stringify(desired);
    let failed = false;
    for (const record of options.served()) {
      const status = (record.object as { status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } } })
        .status;
      if (JSON.stringify(normalize(status?.loadBalancer?.ingress)) === want) continue;
      const rv = record.resourceVersion ?? '';
      if (written.get(record.key) === rv) continue;
      written.set(record.key, rv);
      try {
        await client.patchStatus(options.resource, record.namespace, record.name, {
          status: { loadBalancer: { ingress: desired } },
        });
        if (statusChannel.hasSubscribers) statusChannel.publish({ object: record.key, ok: true });
      } catch (cause) {
        written.delete(record.key);
        failed = true;
        const error = new IngressStatusError(record.key, { cause });
        if (statusChannel.hasSubscribers) statusChannel.publish({ object: record.key, ok: false, error });
      }
      if (stopped) return;
    }
    if (failed && retry === undefined) {
      retry = clock.setTimeout(() => {
        retry = undefined;
        changed();
      }, options.retryMs ?? 5000);
    }
  }

  function changed(): void {
    if (stopped || scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void reconcile();
    });
  }

  changed();
  return {
    changed,
    stop: () => {
      stopped = true;
      stopLeadership?.();
      if (retry) clock.clearTimeout(retry);
      lease?.release();
    },
  };
}
