/**
 * TLS certificates from `kubernetes.io/tls` Secrets (`tls.crt`, `tls.key`), watched, so an
 * ingress serves renewed certificates (cert-manager, kube-lego) without a restart — Linkerd 1
 * never read Secrets (linkerd#1145). The source has the same shape as `@switchyard/tls`'s
 * `CertificateSource`; it is declared here structurally because `k8s` may not depend on `tls`
 * (the dependency DAG is k8s → core), and a type test in this package keeps the two in step.
 *
 * Which Secrets: a fixed list of names or a `Var` of names. Which Secrets an Ingress names is
 * decided in one place, the ingress identifier's `tlsSecrets` (class filter, validation,
 * namespace rules); pass that Var here. Secrets are read through one informer per namespace,
 * shared with other consumers.
 */
import type {
  CertificateEntry,
  CertificatePair,
  CertificateSnapshot,
  CertificateSource,
  Dispose,
  Var as VarType,
} from '@switchyard/core';
import { SwitchyardError, Var } from '@switchyard/core';
import type { KubeClient } from './client.js';
import { SECRET_V1 } from './resources.js';
import type { InformerLease } from './shared.js';
import { type SharedInformers, sharedInformers } from './shared.js';
import type { Secret } from './types.js';

/** A Secret by namespace and name. */
export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/** Codes this module reports; they are `@switchyard/tls` codes, so the TLS server treats them as its own. */
export type SecretCertificateErrorCode =
  | 'SY_ERR_TLS_READ_FAILED'
  | 'SY_ERR_TLS_BAD_CERT'
  | 'SY_ERR_TLS_BAD_KEY';

/**
 * Why a Secret cannot provide a certificate: it does not exist (`SY_ERR_TLS_READ_FAILED`), has
 * no PEM certificate in `tls.crt` (`SY_ERR_TLS_BAD_CERT`) or no PEM key in `tls.key`
 * (`SY_ERR_TLS_BAD_KEY`). `source` is `secret <namespace>/<name>`, as in `TlsError`.
 */
export class SecretCertificateError extends SwitchyardError<SecretCertificateErrorCode> {
  /** `secret <namespace>/<name>`. */
  readonly source: string | undefined;
  constructor(code: SecretCertificateErrorCode, source: string, reason: string) {
    super(code, `${source}: ${reason}`);
    this.source = source;
  }
}

/** One certificate and key as PEM text; `id` is `secret <ns>/<name>`. Core's `CertificatePair`. */
export type SecretCertificatePair = CertificatePair;

/** One entry of a snapshot; failures carry a `SecretCertificateError`. Core's `CertificateEntry`. */
export type SecretCertificateEntry = CertificateEntry;

/** Every Secret's state at one moment, named Secrets first in the given order, then Ingress-derived ones sorted. */
export type SecretCertificateSnapshot = CertificateSnapshot;

/**
 * A `CertificateSource` (core's seam, which `@switchyard/tls` serves). Delivers the current
 * snapshot once every needed namespace has been listed, then each changed snapshot. The watches
 * run only while observed. Never throws; never calls `f` after dispose.
 */
export type SecretCertificateSource = CertificateSource;

/** Options of {@link secretCertificateSource}. */
export interface SecretCertificateSourceOptions {
  /** Namespace of names given without one (`"name"` rather than `"ns/name"`); default the client's, else `default`. */
  readonly namespace?: string;
  /** Secrets to read: `"name"`, `"namespace/name"` or refs, or a Var of refs that may change. */
  readonly names?: readonly (string | SecretRef)[] | VarType<readonly SecretRef[]>;
  /** Informers to share; default a cache of this source's own. */
  readonly informers?: SharedInformers;
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function decode(secret: Secret, key: string): string | undefined {
  const s = secret.stringData?.[key];
  if (s !== undefined) return s;
  const b = secret.data?.[key];
  return b === undefined ? undefined : Buffer.from(b, 'base64').toString('utf8');
}

/** The entry for one Secret (exported for tests and for callers that already hold Secrets). */
export function secretEntry(ref: SecretRef, secret: Secret | undefined): SecretCertificateEntry {
  const id = `secret ${ref.namespace}/${ref.name}`;
  const fail = (code: SecretCertificateErrorCode, reason: string): SecretCertificateEntry => ({
    kind: 'failed',
    id,
    error: new SecretCertificateError(code, id, reason),
  });
  if (secret === undefined) return fail('SY_ERR_TLS_READ_FAILED', 'Secret not found');
  const certPem = decode(secret, 'tls.crt');
  const keyPem = decode(secret, 'tls.key');
  const type = secret.type ?? 'Opaque';
  const typeNote = type === 'kubernetes.io/tls' ? '' : ` (type ${type}, expected kubernetes.io/tls)`;
  if (certPem === undefined) return fail('SY_ERR_TLS_BAD_CERT', `no tls.crt${typeNote}`);
  if (!CERT.test(certPem)) return fail('SY_ERR_TLS_BAD_CERT', 'tls.crt holds no PEM CERTIFICATE');
  if (keyPem === undefined) return fail('SY_ERR_TLS_BAD_KEY', `no tls.key${typeNote}`);
  if (!KEY.test(keyPem)) return fail('SY_ERR_TLS_BAD_KEY', 'tls.key holds no PEM PRIVATE KEY');
  return { kind: 'ok', id, pair: Object.freeze({ id, certPem, keyPem }) };
}

function parseRef(x: string | SecretRef, namespace: string): SecretRef {
  if (typeof x !== 'string') return x;
  const slash = x.indexOf('/');
  return slash === -1 ? { namespace, name: x } : { namespace: x.slice(0, slash), name: x.slice(slash + 1) };
}

function entryKey(e: SecretCertificateEntry): string {
  return e.kind === 'ok'
    ? `ok ${e.id} ${e.pair.certPem.length}:${e.pair.certPem} ${e.pair.keyPem.length}:${e.pair.keyPem}`
    : `failed ${e.id} ${e.error.message}`;
}

/**
 * A certificate source over `kubernetes.io/tls` Secrets, structurally compatible with
 * `@switchyard/tls`'s `CertificateSource`. A Secret that is missing or lacks `tls.crt` / `tls.key`
 * is a `failed` entry naming it (`secret ns/name: no tls.key`), so the TLS server keeps its last
 * good certificate for that id and reports the problem.
 */
export function secretCertificateSource(
  client: KubeClient,
  options: SecretCertificateSourceOptions,
): SecretCertificateSource {
  const defaultNs = options.namespace ?? client.namespace ?? 'default';
  const informers = options.informers ?? sharedInformers(client);
  const names = options.names;
  const namesVar: VarType<readonly SecretRef[]> =
    names === undefined
      ? Var.constant([])
      : Array.isArray(names)
        ? Var.constant((names as readonly (string | SecretRef)[]).map((n) => parseRef(n, defaultNs)))
        : (names as VarType<readonly SecretRef[]>);
  const description = `secrets ${
    Array.isArray(names)
      ? names.map((n) => (typeof n === 'string' ? n : `${n.namespace}/${n.name}`)).join(', ')
      : names
        ? '(dynamic)'
        : ''
  }`.trim();

  const snapshots = Var.async<SecretCertificateSnapshot | undefined>(undefined, (update) => {
    update(undefined);
    let stopped = false;
    const leases = new Map<string, InformerLease<Secret>>();
    let named: readonly SecretRef[] = [];
    let lastKey: string | undefined;

    function recompute(): void {
      if (stopped) return;
      const refs: SecretRef[] = [];
      const seen = new Set<string>();
      for (const r of named) {
        const k = `${r.namespace}/${r.name}`;
        if (seen.has(k)) continue;
        seen.add(k);
        refs.push(r);
      }
      const needed = new Set(refs.map((r) => r.namespace));
      for (const ns of needed) {
        if (leases.has(ns)) continue;
        const lease = informers.acquire(SECRET_V1, { namespace: ns });
        leases.set(ns, lease);
        lease.subscribe(recompute, { replay: false });
        void lease.synced.then(recompute);
      }
      for (const [ns, lease] of leases) {
        if (needed.has(ns)) continue;
        lease.release();
        leases.delete(ns);
      }
      for (const ns of needed) if (!leases.get(ns)!.isSynced) return;
      const entries = refs.map((r) => secretEntry(r, leases.get(r.namespace)!.get(r.namespace, r.name)));
      const key = entries.map(entryKey).join('\n');
      if (key === lastKey) return;
      lastKey = key;
      update(Object.freeze(entries));
    }

    const disposeNames = namesVar.observe((refs) => {
      named = refs;
      recompute();
    });
    return () => {
      stopped = true;
      disposeNames();
      for (const l of leases.values()) l.release();
      leases.clear();
    };
  });

  return Object.freeze({
    description,
    observe(f: (snapshot: SecretCertificateSnapshot) => void): Dispose {
      return snapshots.observe((s) => {
        if (s !== undefined) f(s);
      });
    },
  });
}
