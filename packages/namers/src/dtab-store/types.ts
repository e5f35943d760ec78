/**
 * The dtab store contract: a dtab per router name, observed as an Activity and written with
 * optimistic concurrency (the version read must still be current).
 */
import { type Activity, type Dispose, SwitchyardError } from '@switchyard/core';
import type { Dtab } from '@switchyard/dtab';

/** A router's dtab as the store holds it, with the version to pass to {@link DtabStore.update}. */
export interface StoredDtab {
  readonly name: string;
  readonly dtab: Dtab;
  /** The resourceVersion (Kubernetes) or content hash (files) of this dtab. */
  readonly version: string;
}

/**
 * What a store reports while watching: a dtab taken into use, or one that does not parse (it is
 * ignored and the last good one keeps serving). Libraries don't log; the caller does.
 */
export type DtabStoreEvent =
  | { readonly kind: 'applied'; readonly stored: StoredDtab }
  | { readonly kind: 'removed'; readonly name: string }
  | {
      readonly kind: 'invalid';
      readonly name: string;
      readonly version: string;
      readonly error: DtabStoreInvalidError;
    };

/**
 * Who writes a store's reports (a Kubernetes store's status or annotation), as a `LeaderElector`
 * of `@switchyard/k8s` provides it: reports are written only while `isLeader()`.
 */
export interface DtabStoreLeader {
  isLeader(): boolean;
  onChange(listener: (leader: boolean) => void): Dispose;
}

export interface DtabStore {
  readonly kind: 'io.l5d.k8s' | 'io.l5d.k8s.configMap' | 'io.l5d.fs';
  /**
   * The current dtab stored under `name`: `ok(undefined)` when there is none, `ok(stored)`
   * otherwise. A stored dtab that does not parse is reported and ignored: the last good value stays.
   * The watch runs only while observed.
   */
  observe(name: string): Activity<StoredDtab | undefined>;
  /**
   * Writes `dtab` under `name` if the stored version is still `expectedVersion` (`undefined`: only
   * if nothing is stored yet). A stale version rejects with {@link DtabStoreConflictError}.
   */
  update(name: string, dtab: Dtab, expectedVersion: string | undefined): Promise<StoredDtab>;
  /**
   * Why the store cannot answer right now (the last watch or read error), `undefined` while it
   * works: readiness shows it while the store has never answered.
   */
  problem(): string | undefined;
  close(): Promise<void>;
}

export type DtabStoreErrorCode =
  | 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT'
  | 'SY_ERR_NAMERS_DTAB_STORE_INVALID'
  | 'SY_ERR_NAMERS_DTAB_STORE_CONFIG';

/** A write whose expected version is no longer current (Kubernetes answered 409). */
export class DtabStoreConflictError extends SwitchyardError<'SY_ERR_NAMERS_DTAB_STORE_CONFLICT'> {
  static readonly code = 'SY_ERR_NAMERS_DTAB_STORE_CONFLICT';
  constructor(where: string, expected: string | undefined, options?: ErrorOptions) {
    super(
      'SY_ERR_NAMERS_DTAB_STORE_CONFLICT',
      `dtab store: ${where} changed since version ${expected ?? '(none)'} was read; read it again and retry`,
      options,
    );
  }
}

/** A stored dtab that does not parse; it is ignored. */
export class DtabStoreInvalidError extends SwitchyardError<'SY_ERR_NAMERS_DTAB_STORE_INVALID'> {
  static readonly code = 'SY_ERR_NAMERS_DTAB_STORE_INVALID';
  constructor(where: string, message: string, options?: ErrorOptions) {
    super('SY_ERR_NAMERS_DTAB_STORE_INVALID', `dtab store: ${where}: ${message}`, options);
  }
}

/** Store options that cannot work (a missing directory, an invalid name). */
export class DtabStoreConfigError extends SwitchyardError<'SY_ERR_NAMERS_DTAB_STORE_CONFIG'> {
  static readonly code = 'SY_ERR_NAMERS_DTAB_STORE_CONFIG';
  constructor(message: string, options?: ErrorOptions) {
    super('SY_ERR_NAMERS_DTAB_STORE_CONFIG', `dtab store: ${message}`, options);
  }
}

/** Kubernetes object names (DNS-1123 subdomain); file names use the same rule. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new DtabStoreConfigError(
      `name ${JSON.stringify(name)} is not a lower-case DNS-1123 name (a-z, 0-9, '-', '.')`,
    );
  }
}
