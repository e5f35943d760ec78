/**
 * @packageDocumentation
 * Certificates on demand from an ACME (RFC 8555) CA: HTTP-01 and TLS-ALPN-01 challenges,
 * on-demand issuance for allowed names, renewal with back-off, storage behind an interface, and a
 * core `CertificateSource` for the SNI store.
 */

export type { AlpnChallengeCertificate, ChallengeResponder } from './challenges.js';
export { ACME_TLS_ALPN_PROTOCOL, HTTP_CHALLENGE_PREFIX } from './challenges.js';
export type { AcmeFailedEvent, AcmeIssuedEvent, AcmeRefusedEvent } from './channels.js';
export { ACME_CHANNELS } from './channels.js';
export type { AcmeErrorCode } from './errors.js';
export { AcmeError } from './errors.js';
export { normalizeHost } from './host-name.js';
export type { KubernetesStorageOptions } from './kubernetes-storage.js';
export { kubernetesSecretStorage } from './kubernetes-storage.js';
export type {
  AcmeChallengeType,
  AcmeManagerOptions,
  CertificateView,
  HostOrigin,
  OnDemandResult,
} from './manager.js';
export { AcmeManager, createAcmeManager } from './manager.js';
export type { OnDemandOptions, OnDemandRefusal } from './on-demand.js';
export type { RenewalOptions, RetryOptions } from './schedule.js';
export type { CertificateState, CertificateStatus } from './status.js';
export type { CertificateStorage, StorageEvent, StoredCertificate } from './storage.js';
export { directoryStorage } from './storage.js';
