/**
 * What a running linker holds, as one value that `Linker` and its reload (linker-reload.ts) share:
 * the parts a reload can replace (namers, telemetry, each router's layers, servers and dtab
 * store, the admin), each with the cleanups and readiness checks it registered, so that a
 * replaced part can be closed on its own.
 */
import type { AdminConfigStatus, AdminServer } from '@switchyard/admin';
import type { Clock, MetricsRegistry, NameInterpreter } from '@switchyard/core';
import type { RouterServerOptions } from '@switchyard/router';
import type { RecentRequests } from '@switchyard/telemetry';
import type { BuildContext, Readiness } from './build-context.js';
import type { BuiltRouter } from './build-router.js';
import type { DefaultKinds } from './default-kinds.js';
import type { AttachedDtabStore } from './dtab-store.js';
import type { LoadedConfig } from './load.js';
import { runClosers } from './run-closers.js';
import type { BuiltTelemeter } from './telemetry.js';

/** A cleanup registered through a `BuildContext`. */
export type Closer = () => void | Promise<void>;

/** What one replaceable part registered: cleanups, and readiness checks it added to the linker's. */
export interface Part {
  readonly closers: Closer[];
  readonly readiness: Readiness[];
}

/** A context whose cleanups and readiness checks belong to a new part (checks count at once). */
export function scoped(base: BuildContext, readiness: Readiness[]): { context: BuildContext; part: Part } {
  const part: Part = { closers: [], readiness: [] };
  return {
    part,
    context: {
      ...base,
      onClose: (close) => part.closers.push(close),
      addReadiness: (r) => {
        part.readiness.push(r);
        readiness.push(r);
      },
    },
  };
}

/** Closes a part and removes its readiness checks from the linker's. */
export async function retire(part: Part, readiness: Readiness[]): Promise<void> {
  for (const r of part.readiness) {
    const at = readiness.indexOf(r);
    if (at >= 0) readiness.splice(at, 1);
  }
  await runClosers(part.closers);
}

/** The namers as built from `namers:`, mounted in one interpreter. */
export interface NamerParts {
  readonly interpreter: NameInterpreter;
  readonly part: Part;
}

/** The telemeters as built from `telemetry:`. */
export interface TelemetryParts {
  readonly telemeters: readonly BuiltTelemeter[];
  readonly recent: RecentRequests | undefined;
  readonly prometheusPrefix: string | undefined;
  readonly part: Part;
}

/** A router's replaceable parts besides what `BuiltRouter` holds. */
export interface RouterParts {
  /** What building the router registered (TLS terminators, ACME, its readiness checks). */
  readonly own: Part;
  /** The access log its layers opened. */
  layers: Part;
  /** Servers built by a reload (TLS terminators), by their factory: closed when the server leaves. */
  readonly servers: Map<RouterServerOptions['createServer'], Part>;
  store: { readonly attached: AttachedDtabStore; readonly part: Part } | undefined;
  /** The client/service policies a reload built (start-up's belong to the linker). */
  policies?: Part;
}

/** Options of the linker that a reload needs too. */
export interface LinkerStateOptions {
  readonly kinds: DefaultKinds;
  readonly baseDir: string;
  readonly admin?: { readonly ip?: string; readonly port?: number; readonly probe?: false };
  readonly noAdmin?: boolean;
  readonly onShutdown?: () => void | Promise<void>;
}

/** A running config. */
export interface LinkerState {
  loaded: LoadedConfig;
  namers: NamerParts;
  telemetry: TelemetryParts;
  /** In config order; a reload that adds or removes routers replaces the list. */
  routers: readonly BuiltRouter[];
  readonly parts: Map<BuiltRouter, RouterParts>;
  admin: AdminServer | undefined;
  readonly readiness: Readiness[];
  readonly base: BuildContext;
  readonly stats: MetricsRegistry;
  readonly clock: Clock;
  readonly options: LinkerStateOptions;
  /** 1 at start, +1 per applied reload. */
  version: number;
  lastError: AdminConfigStatus['lastError'];
}
