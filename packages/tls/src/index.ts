/**
 * @packageDocumentation
 * TLS termination with SNI, certificates from files or other sources (Kubernetes Secrets
 * implement `CertificateSource` elsewhere), live reload keeping the last good certificate, expiry
 * metrics, and upstream client TLS options.
 */
export type { CertificateValidation, LoadedCertificate, ValidateOptions } from './certificate.js';
export { validateCertificatePair } from './certificate.js';
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
export type { ClientHelloParse } from './client-hello.js';
export { MAX_CLIENT_HELLO_BYTES, parseClientHello } from './client-hello.js';
export type { HttpServerH2Options } from './door-http-server.js';
export type { TlsErrorCode } from './errors.js';
export { TlsError } from './errors.js';
export type { FileCertificateSourceOptions } from './file-source.js';
export { fileCertificateSource } from './file-source.js';
export type { AlpnHandler, ClientHelloHooks, ListenOptions, TlsFrontDoorOptions } from './front-door.js';
export { connectionHandler, TlsFrontDoor } from './front-door.js';
export type { FrontDoorHttpServerOptions } from './front-door-http-server.js';
export { createFrontDoorHttpServer, FrontDoorHttpServer } from './front-door-http-server.js';
export { H2_PREFACE } from './h2-preface.js';
export type { H2RequestHandler, H2ServerOptions, H2StreamHandler } from './h2-server.js';
export { H2Server } from './h2-server.js';
export type { H2ServerSettings } from './h2-settings.js';
export { DEFAULT_H2_SETTINGS } from './h2-settings.js';
export type { PlainFrontDoorOptions, PlainHandler } from './plain-door.js';
export { PlainFrontDoor } from './plain-door.js';
export type { PlainHttpServerOptions } from './plain-door-http-server.js';
export { createPlainHttpServer, PlainHttpServer } from './plain-door-http-server.js';
export type { HttpServerOptions, TlsHttpServerOptions } from './server.js';
export { createTlsServer, TlsHttpServer } from './server.js';
export type {
  CertificateEntry,
  CertificatePair,
  CertificateSnapshot,
  CertificateSource,
} from './source.js';
export { sharedCertificateSource, staticCertificateSource } from './source.js';
export type { CertificateStatus, ServedCertificateInfo, TlsStatus, TlsStatusError } from './status.js';
export type { CertificateSelection } from './terminator.js';
export { TlsTerminator } from './terminator.js';
export type { TlsProtocol, TlsServerOptions } from './tls-options.js';
export { DEFAULT_EXPIRY_WARNING_MS, DEFAULT_HANDSHAKE_TIMEOUT_MS } from './tls-options.js';
