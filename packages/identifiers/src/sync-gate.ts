/**
 * The first-sync gate both Kubernetes-backed identifiers (`io.l5d.ingress`, `io.l5d.httproute`)
 * share: a `synced` promise for readiness, and `wait()` for a request arriving before the first
 * complete state, which waits up to `timeoutMs` (the identifier then answers 503).
 */
import type { Clock, TimerHandle } from '@switchyard/core';

/** A first-sync gate. */
export interface SyncGate {
  /** Resolves once, at the first complete state. */
  readonly synced: Promise<void>;
  readonly isSynced: boolean;
  /** Opens the gate; true the first time only. */
  open(): boolean;
  /** True at once when open; else whether it opened within `timeoutMs`. */
  wait(): Promise<boolean>;
}

/** Creates a closed gate. */
export function createSyncGate(clock: Clock, timeoutMs: number): SyncGate {
  let isSynced = false;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  return {
    synced,
    get isSynced() {
      return isSynced;
    },
    open() {
      if (isSynced) return false;
      isSynced = true;
      resolveSynced();
      return true;
    },
    wait() {
      if (isSynced) return Promise.resolve(true);
      return new Promise((resolve) => {
        let timer: TimerHandle | undefined;
        void synced.then(() => {
          if (timer) clock.clearTimeout(timer);
          resolve(true);
        });
        timer = clock.setTimeout(() => resolve(isSynced), timeoutMs);
      });
    },
  };
}
