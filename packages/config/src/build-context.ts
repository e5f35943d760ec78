/**
 * What a plugin builder gets: where relative paths resolve, where metrics go, time, shared
 * Kubernetes clients, and a place to register readiness and cleanup. One context per linker.
 */
import type { Clock, Stats } from '@switchyard/core';
import type { KubeClient, LeaderElector, LeaderElectorOptions, SharedInformers } from '@switchyard/k8s';

/** Something `/admin/ready` waits for. */
export interface Readiness {
  readonly name: string;
  ready(): boolean;
}

/** Context passed to every kind's `build`. */
export interface BuildContext {
  /** Directory of the config file; relative paths in options resolve against it. */
  readonly baseDir: string;
  readonly stats: Stats;
  readonly clock: Clock;
  /** The router being built (its `dstPrefix` and label), for identifiers. */
  readonly router?: { readonly label: string; readonly dstPrefix: string };
  /** Servers bind with SO_REUSEPORT (`LinkerOptions.reusePort`: a `--workers` worker binding its own socket). */
  readonly reusePort?: boolean;
  /**
   * A Kubernetes client shared by every plugin whose options resolve to the same API server and
   * identity (server URL, TLS, credentials, proxy, impersonation): `host`/`port` naming the server
   * a kubeconfig points at gets the kubeconfig's client if nothing else differs. Without `host`
   * the client is configured automatically (in-cluster service account, then kubeconfig);
   * with `host`/`port` it talks plain HTTP to e.g. `kubectl proxy`, as Linkerd 1 did.
   */
  kubeClient(options: { readonly host?: string; readonly port?: number }): Promise<KubeClient>;
  /** The one set of shared watches for that client, so the namer and identifiers share them. */
  kubeInformers(options: { readonly host?: string; readonly port?: number }): Promise<SharedInformers>;
  /**
   * A Lease election (client-go's algorithm, `createLeaderElector` of `@switchyard/k8s`) unless
   * the linker runs its elections elsewhere (`LinkerOptions.kubeLeaderElector`: a `--workers`
   * pod's primary campaigns once for the pod). Every kind that elects a writer asks here.
   */
  leaderElector(options: LeaderElectorOptions): LeaderElector;
  /**
   * `leaderElector` is a `--workers` pod's relayed election (`LinkerOptions.kubeLeaderElector`):
   * writers a single process runs without an election (the dtab store's reports) use it there, so
   * that one worker of the pod writes.
   */
  readonly relayedElections?: boolean;
  /** Registers a source `/admin/ready` waits for. */
  addReadiness(readiness: Readiness): void;
  /** Registers cleanup run when the linker closes (or when a reload replaces the plugin). */
  onClose(close: () => void | Promise<void>): void;
}
