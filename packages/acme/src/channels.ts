/**
 * Diagnostics channels published by `@switchyard/acme`. Libraries don't log: an application
 * subscribes to these names (`node:diagnostics_channel`) and decides what to print.
 */
import { channel } from 'node:diagnostics_channel';

/** Channel names, `switchyard:acme:<event>`. */
export const ACME_CHANNELS = Object.freeze({
  /** A certificate was issued (or renewed) and stored. Payload {@link AcmeIssuedEvent}. */
  issued: 'switchyard:acme:issued',
  /** An order failed; the next attempt is scheduled. Payload {@link AcmeFailedEvent}. */
  failed: 'switchyard:acme:failed',
  /** On-demand issuance was refused for a name. Payload {@link AcmeRefusedEvent}. */
  refused: 'switchyard:acme:refused',
});

/** Payload of `switchyard:acme:issued`. */
export interface AcmeIssuedEvent {
  readonly host: string;
  /** Epoch ms. */
  readonly notAfter: number;
  readonly renewal: boolean;
}

/** Payload of `switchyard:acme:failed`. */
export interface AcmeFailedEvent {
  readonly host: string;
  readonly error: Error;
  /** Epoch ms of the next attempt. */
  readonly retryAt: number;
}

/** Payload of `switchyard:acme:refused`. */
export interface AcmeRefusedEvent {
  readonly host: string;
  readonly reason: string;
}

export const issuedChannel = channel(ACME_CHANNELS.issued);
export const failedChannel = channel(ACME_CHANNELS.failed);
export const refusedChannel = channel(ACME_CHANNELS.refused);
