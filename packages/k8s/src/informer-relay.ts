/**
 * Informers across processes: one process (a pod's primary) runs the real list+watches and hands
 * snapshots and deltas to others (its workers) over a message channel, so a pod with N workers
 * puts one set of watches on the API server, not N. The receiving side is a
 * {@link SharedInformers} whose leases behave like real informers (store, `synced`, replayed
 * `subscribe`), so namers and identifiers do not know where their objects come from.
 *
 * The protocol is versioned plain data (structured-clone safe), discriminated on `op`:
 * - receiver → source: `acquire` (a lease id, the API connection, resource and selector) and
 *   `release`;
 * - source → receiver: `snapshot` (every object, the resourceVersion, whether the source is
 *   synced; sent once per acquire, so a receiver that starts or restarts gets the current state),
 *   then `event` (added / modified / deleted / synced, in the source informer's order).
 * A message of another version is ignored (and a receiver never gets data for it), so both ends
 * must be the same build — true for one binary's primary and workers.
 */

import type { Dispose } from '@switchyard/core';
import type { KubeConnectionConfig } from './connection.js';
import type { InformerSelector } from './informer.js';
import type { ResourceDescriptor } from './resources.js';
import type { KubeObject } from './types.js';

/** The protocol version of {@link InformerRelayMessage}. */
export const INFORMER_RELAY_VERSION = 1;

/** A relayed informer event: as {@link InformerEvent}, without `modified`'s `previous` (the receiver has it). */
export type RelayedEvent =
  | { readonly kind: 'added' | 'modified' | 'deleted'; readonly object: KubeObject }
  | { readonly kind: 'synced'; readonly resourceVersion: string; readonly relist: boolean };

/** Every message of the relay protocol, discriminated on `op`. */
export type InformerRelayMessage =
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'acquire';
      readonly lease: number;
      readonly connection: KubeConnectionConfig;
      readonly resource: ResourceDescriptor<KubeObject>;
      readonly selector: InformerSelector;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'release';
      readonly lease: number;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'snapshot';
      readonly lease: number;
      readonly items: readonly KubeObject[];
      readonly resourceVersion: string;
      readonly synced: boolean;
      /** The source informer's last error message, if it is failing. */
      readonly error?: string;
    }
  | {
      readonly kind: 'informers';
      readonly v: typeof INFORMER_RELAY_VERSION;
      readonly op: 'event';
      readonly lease: number;
      readonly event: RelayedEvent;
      readonly resourceVersion: string;
    };

/** True for a message of this protocol and version. */
export function isInformerRelayMessage(value: unknown): value is InformerRelayMessage {
  const m = value as { kind?: unknown; v?: unknown; op?: unknown } | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.kind === 'informers' &&
    m.v === INFORMER_RELAY_VERSION &&
    typeof m.op === 'string'
  );
}

/** One end of a message channel (an IPC channel, a MessagePort). */
export interface RelayPort {
  send(message: InformerRelayMessage): void;
  /** Registers a listener for every incoming message (of any protocol); returns its dispose. */
  onMessage(listener: (message: unknown) => void): Dispose;
}
