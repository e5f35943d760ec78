/**
 * Certificate storage in Kubernetes Secrets, in cert-manager's format: each certificate is a
 * Secret of type `kubernetes.io/tls` (`tls.crt` = the chain, leaf first; `tls.key` = the key), so
 * either tool can own a Secret and anything that reads TLS Secrets (an Ingress `spec.tls`, another
 * proxy) can serve it; the ACME account key is an `Opaque` Secret (`key.pem`). Writes are
 * read-modify-write with the read `resourceVersion`, so two writers never lose an update silently.
 *
 * Replicas follow the store through one Secret informer (list + watch, label `switchyard.io/acme`),
 * not by polling. A follower that gets a handshake for an allowed on-demand name records it as a
 * "wanted" Secret (`<prefix>-wanted-<host>`, type Opaque, no data): creating an object is atomic
 * and needs no Lease or read-modify-write, so any number of followers can record the same name
 * (409 = already recorded), it uses the RBAC the certificates already need, and the leader sees it
 * through the same informer. Wanted Secrets are left in place: they are the durable list of
 * on-demand names, so a new leader picks them up (still subject to its allow/ask rules).
 */
import { createHash } from 'node:crypto';
import type { Dispose } from '@switchyard/core';
import {
  createInformer,
  type InformerLease,
  type InformerView,
  KubeApiError,
  type KubeClient,
  SECRET_V1,
  type Secret,
  type SharedInformers,
} from '@switchyard/k8s';
import { AcmeError } from './errors.js';
import { normalizeHost } from './host-name.js';
import type { CertificateStorage, StorageEvent, StoredCertificate } from './storage.js';

/** Options of {@link kubernetesSecretStorage}. */
export interface KubernetesStorageOptions {
  readonly client: KubeClient;
  /** Namespace of the Secrets. */
  readonly namespace: string;
  /** Prefix of the Secret names. Default `switchyard-acme`. */
  readonly prefix?: string;
  /**
   * Where `watch` gets its Secret informer (shared with other consumers of the same client);
   * without it `watch` starts its own.
   */
  readonly informers?: SharedInformers;
}

/** Label on every Secret this storage writes (value `certificate` or `account`). */
export const ACME_SECRET_LABEL = 'switchyard.io/acme';
/** Annotation carrying the certificate name (DNS name) of a certificate or wanted Secret. */
export const ACME_HOST_ANNOTATION = 'switchyard.io/acme-host';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/**
 * The Secret name of a certificate: `<prefix>-<host>` (a host name is a valid DNS subdomain, as
 * Secret names must be), of a wanted name: `<prefix>-wanted-<host>`, and of the account key:
 * `<prefix>-account-<first 16 hex of sha256(id)>`.
 */
export function acmeSecretName(
  kind: 'certificate' | 'account' | 'wanted',
  name: string,
  prefix = 'switchyard-acme',
): string {
  if (kind === 'certificate') return `${prefix}-${name.toLowerCase()}`;
  if (kind === 'wanted') return `${prefix}-wanted-${name.toLowerCase()}`;
  return `${prefix}-account-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** The event a Secret of this storage stands for, if any. */
function eventOf(secret: Secret, prefix: string): StorageEvent | undefined {
  const kind = secret.metadata?.labels?.[ACME_SECRET_LABEL];
  if (kind !== 'certificate' && kind !== 'wanted') return undefined;
  const host = normalizeHost(secret.metadata?.annotations?.[ACME_HOST_ANNOTATION] ?? '');
  // Only our own names: a Secret with the label but another prefix belongs to another manager.
  if (host === undefined || secret.metadata?.name !== acmeSecretName(kind, host, prefix)) return undefined;
  return { kind, host };
}

/**
 * A `CertificateStorage` on Secrets in one namespace (see the module header for the format).
 * Needs RBAC `get`, `create` and `update` on `secrets` in that namespace (`list` and `watch` too
 * for `watch`). A certificate Secret
 * without both `tls.crt` and `tls.key` is a `SY_ERR_ACME_STORAGE` error naming it.
 */
export function kubernetesSecretStorage(options: KubernetesStorageOptions): CertificateStorage {
  const { client, namespace } = options;
  const prefix = options.prefix ?? 'switchyard-acme';
  const fail = (what: string, name: string, cause: unknown, host?: string): never => {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new AcmeError(
      'SY_ERR_ACME_STORAGE',
      `acme storage: cannot ${what} Secret ${namespace}/${name}: ${message}`,
      {
        cause,
        ...(host === undefined ? {} : { host }),
      },
    );
  };
  const read = async (name: string, host?: string): Promise<Secret | undefined> => {
    try {
      return await client.get(SECRET_V1, namespace, name);
    } catch (err) {
      return fail('read', name, err, host);
    }
  };
  /** Creates the Secret, or replaces the existing one's type, labels and data (keeping the rest). */
  const write = async (secret: Secret, host?: string): Promise<void> => {
    const name = secret.metadata!.name!;
    for (let attempt = 0; ; attempt++) {
      try {
        const current = await client.get(SECRET_V1, namespace, name);
        if (current === undefined) {
          await client.create(SECRET_V1, secret);
        } else {
          await client.replace(SECRET_V1, {
            ...current,
            metadata: {
              ...current.metadata,
              labels: { ...current.metadata?.labels, ...secret.metadata?.labels },
              annotations: { ...current.metadata?.annotations, ...secret.metadata?.annotations },
            },
            ...(secret.type === undefined ? {} : { type: secret.type }),
            data: secret.data ?? {},
          });
        }
        return;
      } catch (err) {
        // Someone else wrote in between (create raced, or a stale resourceVersion): read again once.
        if (attempt === 0 && err instanceof KubeApiError && err.status === 409) continue;
        fail('write', name, err, host);
      }
    }
  };
  return Object.freeze({
    description: `kubernetes secrets ${namespace}/${prefix}-*`,
    async loadCertificate(host: string): Promise<StoredCertificate | undefined> {
      const name = acmeSecretName('certificate', host, prefix);
      const secret = await read(name, host);
      if (secret === undefined) return undefined;
      const crt = secret.data?.['tls.crt'];
      const key = secret.data?.['tls.key'];
      if (crt === undefined || key === undefined || crt === '' || key === '') {
        return fail('use', name, new Error('it needs both tls.crt and tls.key'), host);
      }
      return { host, certPem: unb64(crt), keyPem: unb64(key) };
    },
    async saveCertificate(cert: StoredCertificate): Promise<void> {
      const name = acmeSecretName('certificate', cert.host, prefix);
      await write(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name,
            namespace,
            labels: { [ACME_SECRET_LABEL]: 'certificate' },
            annotations: { [ACME_HOST_ANNOTATION]: cert.host },
          },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
        },
        cert.host,
      );
    },
    async loadAccountKey(account: string): Promise<string | undefined> {
      const secret = await read(acmeSecretName('account', account, prefix));
      const key = secret?.data?.['key.pem'];
      return key === undefined ? undefined : unb64(key);
    },
    async saveAccountKey(account: string, keyPem: string): Promise<void> {
      await write({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: acmeSecretName('account', account, prefix),
          namespace,
          labels: { [ACME_SECRET_LABEL]: 'account' },
        },
        type: 'Opaque',
        data: { 'key.pem': b64(keyPem) },
      });
    },
    async requestCertificate(host: string): Promise<void> {
      const name = acmeSecretName('wanted', host, prefix);
      try {
        await client.create(SECRET_V1, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name,
            namespace,
            labels: { [ACME_SECRET_LABEL]: 'wanted' },
            annotations: { [ACME_HOST_ANNOTATION]: host },
          },
          type: 'Opaque',
        });
      } catch (err) {
        // Another replica recorded it first: the leader sees one Secret either way.
        if (err instanceof KubeApiError && err.status === 409) return;
        fail('write', name, err, host);
      }
    },
    watch(listener: (event: StorageEvent) => void): Dispose {
      const selector = { namespace, labelSelector: ACME_SECRET_LABEL };
      let view: InformerView<Secret>;
      let stop: () => void;
      if (options.informers !== undefined) {
        const lease: InformerLease<Secret> = options.informers.acquire(SECRET_V1, selector);
        view = lease;
        stop = () => lease.release();
      } else {
        const informer = createInformer(client, SECRET_V1, selector);
        view = informer;
        stop = () => informer.stop();
      }
      const unsubscribe = view.subscribe((e) => {
        if (e.kind !== 'added' && e.kind !== 'modified') return;
        const event = eventOf(e.object, prefix);
        if (event !== undefined) listener(event);
      });
      return () => {
        unsubscribe();
        stop();
      };
    },
  });
}
