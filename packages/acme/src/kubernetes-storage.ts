/**
 * Certificate storage in Kubernetes Secrets, in cert-manager's format: each certificate is a
 * Secret of type `kubernetes.io/tls` (`tls.crt` = the chain, leaf first; `tls.key` = the key), so
 * either tool can own a Secret and anything that reads TLS Secrets (an Ingress `spec.tls`, another
 * proxy) can serve it; the ACME account key is an `Opaque` Secret (`key.pem`). Writes are
 * read-modify-write with the read `resourceVersion`, so two writers never lose an update silently.
 */
import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient, SECRET_V1, type Secret } from '@switchyard/k8s';
import { AcmeError } from './errors.js';
import type { CertificateStorage, StoredCertificate } from './storage.js';

/** Options of {@link kubernetesSecretStorage}. */
export interface KubernetesStorageOptions {
  readonly client: KubeClient;
  /** Namespace of the Secrets. */
  readonly namespace: string;
  /** Prefix of the Secret names. Default `switchyard-acme`. */
  readonly prefix?: string;
}

/** Label on every Secret this storage writes (value `certificate` or `account`). */
export const ACME_SECRET_LABEL = 'switchyard.io/acme';
/** Annotation carrying the certificate name (DNS name) of a certificate Secret. */
export const ACME_HOST_ANNOTATION = 'switchyard.io/acme-host';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/**
 * The Secret name of a certificate: `<prefix>-<host>` (a host name is a valid DNS subdomain, as
 * Secret names must be), and of the account key: `<prefix>-account-<first 16 hex of sha256(id)>`.
 */
export function acmeSecretName(
  kind: 'certificate' | 'account',
  name: string,
  prefix = 'switchyard-acme',
): string {
  return kind === 'certificate'
    ? `${prefix}-${name.toLowerCase()}`
    : `${prefix}-account-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/**
 * A `CertificateStorage` on Secrets in one namespace (see the module header for the format).
 * Needs RBAC `get`, `create` and `update` on `secrets` in that namespace. A certificate Secret
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
  });
}
