/**
 * `servers[].tls.acme`: starts an ACME manager for a TLS server and plugs it in through public
 * hooks only — its `CertificateSource` feeds the server's SNI store, the front door answers
 * TLS-ALPN-01 and reports unknown names for on-demand issuance, and a server-stack layer answers
 * HTTP-01 on the router's servers before any routing. Also the `--check` checks of the section.
 */

import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  type AcmeManager,
  type AcmeManagerOptions,
  type CertificateStorage,
  createAcmeManager,
  directoryStorage,
  HTTP_CHALLENGE_PREFIX,
  kubernetesSecretStorage,
} from '@switchyard/acme';
import type { LeaderElector } from '@switchyard/k8s';
import type { ServerLayer } from '@switchyard/router';
import type { ClientHelloHooks } from '@switchyard/tls';
import type { BuildContext } from './build-context.js';
import type { ServerConfig } from './linker-schema.js';
import type { KindProblem } from './registry.js';

/** The validated `tls.acme` section. */
export type AcmeConfig = NonNullable<NonNullable<ServerConfig['tls']>['acme']>;

/** Default `storage`: a directory next to the config file. */
export const DEFAULT_ACME_DIR = 'acme';

/** A manager and the hooks that serve it. */
export interface StartedAcme {
  readonly manager: AcmeManager;
  readonly hooks: ClientHelloHooks;
  /**
   * Starts the manager (and, with Kubernetes storage, its Lease election): only from here on
   * does it take a Lease or order. `startAcme` has called it unless asked to defer (a reload
   * starts the managers it built at its commit, so a failed reload leaves nothing behind).
   */
  readonly start: () => void;
}

/**
 * The storage a config names, and who orders: with directory storage the process holding the
 * certificate's order lock file (`directoryStorage`'s `lockOrder`: one per host, so `--workers`
 * order once);
 * with Kubernetes storage only the holder of the Lease `<prefix>` in that namespace does (the
 * other replicas read the Secrets it writes).
 */
async function storageOf(
  acme: AcmeConfig,
  context: BuildContext,
  leaseName: string,
): Promise<{
  storage: CertificateStorage;
  isLeader?: () => boolean;
  onLeaderChange?: AcmeManagerOptions['onLeaderChange'];
  /** Starts campaigning for the Lease (Kubernetes storage): called just before the manager starts. */
  campaign?: () => void;
}> {
  const st = acme.storage ?? { kind: 'dir' as const, path: DEFAULT_ACME_DIR };
  if (st.kind === 'dir') return { storage: directoryStorage(resolve(context.baseDir, st.path)) };
  const client = await context.kubeClient({});
  // Created when the manager starts: until then no Lease is taken (a reload may still fail).
  let elector: LeaderElector | undefined;
  context.onClose(() => elector?.close());
  return {
    campaign: () => {
      elector ??= context.leaderElector({
        client,
        namespace: st.namespace,
        name: leaseName,
        identity: `${hostname()}-${randomBytes(4).toString('hex')}`,
      });
    },
    // The Secret watch shares the informer cache of the identifiers using the same API server.
    storage: kubernetesSecretStorage({
      client,
      namespace: st.namespace,
      informers: await context.kubeInformers({}),
    }),
    isLeader: () => elector?.isLeader() ?? false,
    // The manager subscribes in start(), after campaign().
    onLeaderChange: (listener) => elector!.onChange(listener),
  };
}

/**
 * Creates and starts the manager of one TLS server (`deferStart`: created only; `start()` later).
 * `stats` is the server's scope (the manager counts under `acme/`); closing is registered with
 * `context.onClose`.
 */
export async function startAcme(
  acme: AcmeConfig,
  context: BuildContext,
  options: {
    readonly stats: BuildContext['stats'];
    /** The Lease replicas compete for when storage is Kubernetes (one per TLS server). */
    readonly leaseName: string;
    /** Don't start yet: the caller calls `start()` (no Lease, no order until then). */
    readonly deferStart?: boolean;
  },
): Promise<StartedAcme> {
  const { storage, isLeader, onLeaderChange, campaign } = await storageOf(acme, context, options.leaseName);
  const directoryCa =
    acme.caBundle === undefined ? undefined : await readFile(resolve(context.baseDir, acme.caBundle), 'utf8');
  const manager = createAcmeManager({
    directoryUrl: acme.directory,
    // Configuring an ACME CA is agreeing to its terms, as with Caddy and cert-manager.
    termsOfServiceAgreed: true,
    email: acme.email,
    storage,
    challenge: acme.challenge as 'http-01' | 'tls-alpn-01',
    ...(acme.hosts === undefined ? {} : { hosts: acme.hosts }),
    ...(acme.onDemand === undefined
      ? {}
      : {
          onDemand: {
            ...(acme.onDemand.allow === undefined ? {} : { hosts: acme.onDemand.allow }),
            ...(acme.onDemand.ask === undefined ? {} : { ask: acme.onDemand.ask }),
          },
        }),
    ...(directoryCa === undefined ? {} : { directoryCa }),
    ...(isLeader === undefined ? {} : { isLeader }),
    ...(onLeaderChange === undefined ? {} : { onLeaderChange }),
    stats: options.stats.scope('acme'),
    clock: context.clock,
  });
  context.onClose(() => manager.close());
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    campaign?.();
    manager.start();
  };
  if (options.deferStart !== true) start();
  const hooks: ClientHelloHooks = {
    ...(acme.challenge === 'tls-alpn-01'
      ? {
          challenge: (servername, alpn) => {
            const c = manager.tlsAlpnChallenge(servername, alpn);
            return c === undefined
              ? undefined
              : { certPem: c.certPem, keyPem: c.keyPem, protocol: 'acme-tls/1' };
          },
        }
      : {}),
    ...(acme.onDemand === undefined ? {} : { unknownServerName: (name) => void manager.onDemand(name) }),
  };
  return { manager, hooks, start };
}

/**
 * The server-stack layer answering HTTP-01 for every manager of the router: a `GET`/`HEAD` of
 * `/.well-known/acme-challenge/<token>` for a pending token is answered before any routing;
 * anything else (unknown tokens too) goes on to routing. `managers` may be a function, read per
 * challenge request (a reload changes a router's managers).
 */
export function http01Layer(managers: readonly AcmeManager[] | (() => readonly AcmeManager[])): ServerLayer {
  const current = typeof managers === 'function' ? managers : () => managers;
  return {
    kind: 'server',
    role: 'acme-http-01',
    description: `answers ACME HTTP-01 challenges (${HTTP_CHALLENGE_PREFIX}) before routing`,
    layer: (next) => (inbound) => {
      // HTTP-01 validation requests are HTTP/1.1 (RFC 8555 §8.3); HTTP/2 requests go on to routing.
      const { req, res } = inbound.exchange;
      if (
        req instanceof IncomingMessage &&
        res instanceof ServerResponse &&
        req.url?.startsWith(HTTP_CHALLENGE_PREFIX)
      ) {
        for (const m of current()) if (m.handleHttpChallenge(req, res)) return Promise.resolve();
      }
      return next(inbound);
    },
  };
}

/** `--check` of one `tls.acme`: the CA bundle holds a certificate, a storage directory can be made. */
export async function acmeProblems(acme: AcmeConfig, baseDir: string): Promise<KindProblem[]> {
  const problems: KindProblem[] = [];
  if (acme.caBundle !== undefined) {
    const path = resolve(baseDir, acme.caBundle);
    let pem: Buffer | undefined;
    try {
      pem = await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({ field: 'caBundle', message: `cannot read ${path} (${code})` });
    }
    if (pem !== undefined) {
      try {
        new X509Certificate(pem);
      } catch (error) {
        problems.push({
          field: 'caBundle',
          message: `${path} holds no PEM certificate (${(error as Error).message})`,
        });
      }
    }
  }
  const st = acme.storage ?? { kind: 'dir' as const, path: DEFAULT_ACME_DIR };
  if (st.kind === 'dir') {
    // The manager creates the directory itself; its parent must exist.
    const dir = resolve(baseDir, st.path);
    const exists = await stat(dir).then(
      (s) => (s.isDirectory() ? 'dir' : 'file'),
      () => 'none',
    );
    if (exists === 'file') problems.push({ field: 'storage', message: `${dir} is not a directory` });
    if (exists === 'none') {
      const parent = await stat(dirname(dir)).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!parent)
        problems.push({
          field: 'storage',
          message: `cannot create ${dir}: ${dirname(dir)} is not a directory`,
        });
    }
  }
  return problems;
}
