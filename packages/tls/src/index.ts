/**
 * @packageDocumentation
 * TLS termination with SNI, certificates from files or other sources (Kubernetes Secrets
 * implement `CertificateSource` elsewhere), live reload keeping the last good certificate, expiry
 * metrics, and upstream client TLS options.
 */
export type { CertificateValidation, LoadedCertificate, ValidateOptions } from './certificate.js';
export {
  certificateNames,
  normalizeName,
  splitPemCertificates,
  validateCertificatePair,
} from './certificate.js';
export type {
  CertExpiringEvent,
  CertLoadedEvent,
  CertRejectedEvent,
  CertRemovedEvent,
  HandshakeFailedEvent,
} from './channels.js';
export { TLS_CHANNELS } from './channels.js';
export type { ClientTlsConfig, ClientTlsOptions } from './client.js';
export { clientTlsOptions } from './client.js';
export type { TlsErrorCode } from './errors.js';
export { TlsError } from './errors.js';
export type { FileCertificateSourceOptions } from './file-source.js';
export { fileCertificateSource } from './file-source.js';
export type { HttpServerOptions, ListenOptions, TlsHttpServerOptions } from './server.js';
export { createTlsServer, TlsHttpServer } from './server.js';
export type { SniIndex, SniMatch } from './sni.js';
export { buildSniIndex, selectSni } from './sni.js';
export type {
  CertificateEntry,
  CertificatePair,
  CertificateSnapshot,
  CertificateSource,
} from './source.js';
export { sharedCertificateSource, staticCertificateSource } from './source.js';
export type {
  CertificateStatus,
  ServedCertificateInfo,
  TlsProtocol,
  TlsServerOptions,
  TlsStatus,
  TlsStatusError,
} from './terminator.js';
export { DEFAULT_EXPIRY_WARNING_MS, readCaBundle, TlsTerminator } from './terminator.js';
