/**
 * Diagnostics channels published by `@switchyard/tls`. Libraries don't log: an application
 * subscribes to these names (`node:diagnostics_channel`) and decides what to print.
 */
import { channel } from 'node:diagnostics_channel';
import type { TlsErrorCode } from './errors.js';

/** Channel names, `switchyard:tls:<event>`. */
export const TLS_CHANNELS = Object.freeze({
  /** A certificate was accepted and is used for new handshakes. Payload `CertLoadedEvent`. */
  certLoaded: 'switchyard:tls:certLoaded',
  /** New material for an id was rejected; the last good certificate, if any, keeps serving. Payload `CertRejectedEvent`. */
  certRejected: 'switchyard:tls:certRejected',
  /** An id left its source and is no longer served. Payload `CertRemovedEvent`. */
  certRemoved: 'switchyard:tls:certRemoved',
  /** A served certificate expires within the warning window (default 14 days). Payload `CertExpiringEvent`. */
  certExpiring: 'switchyard:tls:certExpiring',
  /** A client's handshake failed. Payload `HandshakeFailedEvent`. */
  handshakeFailed: 'switchyard:tls:handshakeFailed',
});

/** Payload of `switchyard:tls:certLoaded`. */
export interface CertLoadedEvent {
  readonly id: string;
  readonly names: readonly string[];
  readonly notAfter: number;
  readonly fingerprint256: string;
  /** True when it replaced an earlier certificate for the same id (a reload). */
  readonly replaced: boolean;
}

/** Payload of `switchyard:tls:certRejected`. */
export interface CertRejectedEvent {
  readonly id: string;
  readonly code: TlsErrorCode;
  readonly message: string;
  readonly error: Error;
  /** True when an earlier good certificate for this id is still being served. */
  readonly keptPrevious: boolean;
}

/** Payload of `switchyard:tls:certRemoved`. */
export interface CertRemovedEvent {
  readonly id: string;
}

/** Payload of `switchyard:tls:certExpiring`. Published once per certificate (fingerprint). */
export interface CertExpiringEvent {
  readonly id: string;
  readonly names: readonly string[];
  readonly notAfter: number;
  /** Milliseconds left; negative when already expired. */
  readonly remainingMs: number;
}

/** Payload of `switchyard:tls:handshakeFailed`. */
export interface HandshakeFailedEvent {
  readonly message: string;
  readonly code: string | undefined;
  readonly remoteAddress: string | undefined;
}

export const certLoadedChannel = channel(TLS_CHANNELS.certLoaded);
export const certRejectedChannel = channel(TLS_CHANNELS.certRejected);
export const certRemovedChannel = channel(TLS_CHANNELS.certRemoved);
export const certExpiringChannel = channel(TLS_CHANNELS.certExpiring);
export const handshakeFailedChannel = channel(TLS_CHANNELS.handshakeFailed);
