/**
 * The messages the primary and its workers exchange over the cluster IPC channel. Each is a
 * plain value discriminated by `kind`; requests carry an `id` their answer repeats. Kubernetes
 * informer messages (`kind: 'informers'`) are `@switchyard/k8s`'s versioned relay protocol;
 * election messages (`kind: 'elections'`) are elections.ts's.
 */
import type { MetricSample } from '@switchyard/core';
import type { InformerRelayMessage } from '@switchyard/k8s';
import type { RecentRequest } from '@switchyard/telemetry';
import type { ElectionMessage } from './elections.js';
import type { ListMessage } from './lists.js';

/** What a worker needs to start: the config text the primary loaded (and validated). */
export interface StartMessage {
  readonly kind: 'start';
  readonly text: string;
  /** The config file's name for error messages (`<local default>` for the demo). */
  readonly file: string;
  readonly baseDir: string;
  /** `workers.listen: reusePort`: every router server binds its own SO_REUSEPORT socket. */
  readonly reusePort?: boolean;
}

/** Primary → worker. */
export type ToWorker =
  | StartMessage
  | { readonly kind: 'reload'; readonly id: number; readonly text: string; readonly file: string }
  | { readonly kind: 'stats'; readonly id: number }
  /** Asks for the worker's readiness and recent requests (`/admin/ready`, `/admin/requests.json`). */
  | { readonly kind: 'health'; readonly id: number }
  | { readonly kind: 'drain' }
  /** Kubernetes objects: a snapshot, then deltas, of an informer the worker acquired. */
  | InformerRelayMessage
  /** Whether this worker leads an election it joined (the pod campaigns in the primary). */
  | ElectionMessage
  /** The answer to a list the worker asked the primary to make. */
  | ListMessage;

/** One worker's load and process figures, as `/admin/workers.json` shows them. */
export interface WorkerProcess {
  readonly pid: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly uptimeMs: number;
  /** CPU time used since the worker started (user + system), microseconds. */
  readonly cpuMicros: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  /** Event-loop delay since the previous ask, ms. */
  readonly eventLoopLag: {
    readonly mean: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
}

/** Where a started worker serves (the same ports in every worker). */
export interface WorkerReady {
  readonly kind: 'ready';
  readonly servers: readonly { readonly router: string; readonly ip: string; readonly port: number }[];
  /** The worker's own admin server (loopback, shared by the workers through the cluster). */
  readonly admin: { readonly address: string; readonly port: number } | undefined;
}

/** A worker's answer to `health`: what its own `/admin/ready` and `/admin/requests.json` would say. */
export interface WorkerHealth {
  readonly kind: 'health';
  readonly id: number;
  /** Every source its `/admin/ready` waits for. */
  readonly readiness: readonly { readonly name: string; readonly ready: boolean }[];
  /** Its sampled recent requests, newest first. */
  readonly requests: readonly RecentRequest[];
  /** How many requests its `io.l5d.recentRequests` keeps (0 without one). */
  readonly requestsKept: number;
}

/** Worker → primary. */
export type FromWorker =
  /** The worker listens for messages now: the primary answers with `start`. */
  | { readonly kind: 'hello' }
  | WorkerReady
  /** The worker could not start; `code` is the exit code it is about to exit with. */
  | { readonly kind: 'failed'; readonly code: number }
  | {
      readonly kind: 'reloaded';
      readonly id: number;
      readonly ok: boolean;
      readonly result?: unknown;
      readonly error?: string;
    }
  | {
      readonly kind: 'stats';
      readonly id: number;
      readonly samples: readonly MetricSample[];
      readonly process: WorkerProcess;
    }
  | WorkerHealth
  /**
   * The worker drained and closed its Linker: its registry's last snapshot, so the pod's counters
   * keep what a worker retired by a lower count served.
   */
  | { readonly kind: 'final'; readonly samples: readonly MetricSample[] }
  /** `POST /admin/shutdown` reached this worker's admin: the primary drains the pod. */
  | { readonly kind: 'shutdown' }
  /** The worker acquires or releases an informer, which the primary runs for every worker. */
  | InformerRelayMessage
  /** The worker joins or leaves a Lease election, which the primary runs once for the pod. */
  | ElectionMessage
  /** A one-shot list, made once for the pod by the primary. */
  | ListMessage;

/** True for a message of this protocol (cluster also delivers its own internal messages). */
export function isMessage<T extends { kind: string }>(value: unknown): value is T {
  return (
    typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
  );
}
