/**
 * `routers[].dtabStore`: a dtab shared by replicas, kept on Kubernetes (a `Dtab` custom resource)
 * or in a directory (one file per router name). The store's dentries are appended to the config's
 * dtab (base ++ store, so they win), applied live, and every change is published on
 * {@link DTAB_STORE_CHANNEL} with its version (the ingress logs it).
 */

import { randomBytes } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Dispose } from '@switchyard/core';
import { Dtab } from '@switchyard/dtab';
import type { LeaderElector } from '@switchyard/k8s';
import {
  createConfigMapDtabStore,
  createFsDtabStore,
  createK8sDtabStore,
  type DtabStore,
  type DtabStoreEvent,
  type StoredDtab,
} from '@switchyard/namers/dtab-store';
import type { BuildContext } from './build-context.js';
import {
  number,
  object,
  optional,
  refine,
  reject,
  rejectField,
  required,
  string,
  withDefault,
} from './schema.js';

/** Diagnostics channel of dtab store changes: `{ router, name, kind, version?, dtab?, error? }`. */
export const DTAB_STORE_CHANNEL = 'switchyard:config:dtabStore';
const published = channel(DTAB_STORE_CHANNEL);

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The `dtabStore` block of a router. */
export const dtabStoreSchema = refine(
  object({
    kind: required(
      string({ values: ['io.l5d.k8s', 'io.l5d.k8s.configMap', 'io.l5d.fs'] }),
      'io.l5d.k8s: a Dtab custom resource (dtabs.switchyard.dev); io.l5d.k8s.configMap: a key of a ConfigMap; io.l5d.fs: a file in `dir`.',
    ),
    name: optional(
      string({ nonEmpty: true }),
      "The Dtab's (ConfigMap's, file's) name; default the router's label.",
    ),
    namespace: optional(
      string({ nonEmpty: true }),
      'io.l5d.k8s, io.l5d.k8s.configMap: namespace of the object; default `default`.',
    ),
    host: optional(
      string({ nonEmpty: true }),
      'io.l5d.k8s: API server (kubectl proxy) host; default in-cluster.',
    ),
    port: optional(
      number({ integer: true, min: 1, max: 65535 }),
      'io.l5d.k8s: API server port; default 8001.',
    ),
    filename: optional(
      string({ nonEmpty: true }),
      'io.l5d.k8s.configMap: the ConfigMap key holding the dtab (Linkerd 1 name); default `dtab`.',
    ),
    dir: optional(string({ nonEmpty: true }), 'io.l5d.fs: the directory, relative to the config file.'),
    pollIntervalMs: withDefault(
      number({ integer: true, min: 1 }),
      1000,
      'io.l5d.fs: poll interval backing up file-system notifications.',
    ),
  }),
  (block) => {
    if (block.name !== undefined && !NAME.test(block.name)) {
      return reject(
        `name ${JSON.stringify(block.name)} is not a lower-case DNS-1123 name (a-z, 0-9, '-', '.')`,
      );
    }
    if (block.kind === 'io.l5d.fs') {
      if (block.dir === undefined)
        return reject('io.l5d.fs needs `dir`: the directory holding one file per router');
      for (const key of ['namespace', 'host', 'port', 'filename'] as const) {
        if (block[key] !== undefined)
          return rejectField([key], `\`${key}\` is a Kubernetes store option; io.l5d.fs reads \`dir\``);
      }
    } else if (block.dir !== undefined) {
      return rejectField(['dir'], `\`dir\` is an io.l5d.fs option; ${block.kind} reads a Kubernetes object`);
    } else if (block.filename !== undefined && block.kind !== 'io.l5d.k8s.configMap') {
      return rejectField(
        ['filename'],
        '`filename` is an io.l5d.k8s.configMap option; io.l5d.k8s reads spec.dtab',
      );
    }
    return block;
  },
);

/** The store name of a router: `name`, else its label, which must then be a DNS-1123 name. */
export function storeName(block: { readonly name?: string | undefined }, label: string): string | undefined {
  const name = block.name ?? label;
  return NAME.test(name) ? name : undefined;
}

/** A running store attachment: the store's current dtab (empty while none). */
export interface AttachedDtabStore {
  readonly kind: DtabStore['kind'];
  /** The store name (the Dtab resource's or the file's). */
  readonly name: string;
  dtab(): Dtab;
  /** What the store holds now, with its version; `undefined` while nothing (or not yet read). */
  stored(): StoredDtab | undefined;
  /** Writes the store (optimistic: see `DtabStore.update`); for the admin's apply route. */
  update(dtab: Dtab, expectedVersion: string | undefined): Promise<StoredDtab>;
}

/**
 * Opens the store and calls `apply` with the store's dtab on every change; the router is not
 * ready until the store has answered once. Closed with the context.
 */
export async function attachDtabStore(
  block: {
    readonly kind: string;
    readonly name?: string | undefined;
    readonly namespace?: string | undefined;
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    readonly dir?: string | undefined;
    readonly filename?: string | undefined;
    readonly pollIntervalMs: number;
  },
  label: string,
  context: BuildContext,
  apply: (storeDtab: Dtab) => void,
): Promise<AttachedDtabStore> {
  const name = storeName(block, label) ?? label;
  const stats = context.stats.scope('rt', label);
  const onEvent = (event: DtabStoreEvent) => {
    if (!published.hasSubscribers) return;
    switch (event.kind) {
      case 'applied':
        published.publish({
          router: label,
          name,
          kind: 'applied',
          version: event.stored.version,
          dtab: Dtab.show(event.stored.dtab),
        });
        return;
      case 'removed':
        published.publish({ router: label, name, kind: 'removed' });
        return;
      case 'invalid':
        published.publish({
          router: label,
          name,
          kind: 'invalid',
          version: event.version,
          error: event.error,
        });
        return;
    }
  };
  let store: DtabStore;
  let elector: LeaderElector | undefined;
  if (block.kind === 'io.l5d.fs') {
    const dir = isAbsolute(block.dir!) ? block.dir! : resolve(context.baseDir, block.dir!);
    store = await createFsDtabStore({ dir, pollIntervalMs: block.pollIntervalMs, stats, onEvent });
  } else {
    const where = {
      ...(block.host !== undefined ? { host: block.host } : {}),
      ...(block.port !== undefined ? { port: block.port } : {}),
    };
    const client = await context.kubeClient(where);
    // The shared (in a --workers worker: relayed) informers, so a pod watches the store once.
    const informers = await context.kubeInformers(where);
    const namespace = block.namespace ?? 'default';
    // A --workers pod: its Lease election (campaigned once by the primary) picks the one worker
    // that writes the status/annotation. A single process writes without an election, as before.
    if (context.relayedElections === true) {
      elector = context.leaderElector({
        client,
        namespace,
        name: `switchyard-dtab-store-${name}`,
        identity: `${hostname()}_${process.pid}_${randomBytes(3).toString('hex')}`,
        clock: context.clock,
      });
    }
    const leader = elector === undefined ? {} : { leader: elector };
    store =
      block.kind === 'io.l5d.k8s.configMap'
        ? createConfigMapDtabStore({
            client,
            namespace,
            ...(block.filename !== undefined ? { filename: block.filename } : {}),
            stats,
            onEvent,
            informers,
            ...leader,
          })
        : createK8sDtabStore({ client, namespace, stats, onEvent, informers, ...leader });
  }
  let current: Dtab = Dtab.empty;
  let stored: StoredDtab | undefined;
  // Until the store first answers the router serves the config's dtab and is not ready.
  let ready = false;
  const stop: Dispose = store.observe(name).states.observe((state) => {
    if (state.kind !== 'ok') return;
    stored = state.value;
    const next = state.value?.dtab ?? Dtab.empty;
    ready = true;
    if (Dtab.show(next) === Dtab.show(current)) return;
    current = next;
    apply(current);
  });
  // The name says why while the store has never answered (e.g. the API server refuses the watch).
  context.addReadiness({
    get name() {
      const problem = ready ? undefined : store.problem();
      return `dtab store of ${label}${problem === undefined ? '' : ` (${problem})`}`;
    },
    ready: () => ready,
  });
  context.onClose(async () => {
    stop();
    await store.close();
    await elector?.close();
  });
  return {
    kind: store.kind,
    name,
    dtab: () => current,
    stored: () => stored,
    update: (dtab, expectedVersion) => store.update(name, dtab, expectedVersion),
  };
}
